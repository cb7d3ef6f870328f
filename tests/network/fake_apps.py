"""Fake apps for running the node in-process: a scripted requestor, providers that
write a result at once. The node's own code (scheduling, moves, ledger) runs for real."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from golem_task_api.node.network import apps
from golem_task_api.wire.enums import VerifyResult
from golem_task_api.wire.structs import Subtask, Task


class FakeRequestor:
    """Hands out `parts` subtasks; its verdicts come from a script."""

    def __init__(self, task_dir: Path, parts: int, verdicts: list[Any]) -> None:
        self.task_dir = task_dir
        self.pending = list(range(parts))
        self.running: dict[str, int] = {}
        self.verdicts = verdicts
        self.calls: list[tuple[str, Any]] = []

    async def create_task(self, task_id: str, count: int, params: dict[str, Any]) -> Task:
        self.calls.append(("create_task", count))
        return Task("docker_cpu", {"image": "x", "tag": "y"})

    async def has_pending_subtasks(self, task_id: str) -> bool:
        return bool(self.pending)

    async def next_subtask(self, task_id: str, subtask_id: str, node_id: str) -> Subtask | None:
        if not self.pending:
            return None
        self.running[subtask_id] = self.pending.pop(0)
        (self.task_dir / "subtask_inputs" / f"{subtask_id}.in").write_text("in")
        return Subtask({"n": self.running[subtask_id]}, [f"{subtask_id}.in"])

    async def verify(self, task_id: str, subtask_id: str) -> tuple[VerifyResult, str]:
        self.calls.append(("verify", subtask_id))
        verdict = self.verdicts.pop(0) if self.verdicts else VerifyResult.SUCCESS
        if isinstance(verdict, Exception):
            raise verdict
        if verdict == VerifyResult.SUCCESS:
            result = self.task_dir / "subtask_outputs" / subtask_id / f"{subtask_id}.out"
            (self.task_dir / "task_outputs" / result.name).write_bytes(result.read_bytes())
            self.running.pop(subtask_id)
        elif verdict == VerifyResult.FAILURE:
            self.pending.append(self.running.pop(subtask_id))
        return verdict, "scripted"

    async def discard_subtasks(self, task_id: str, subtask_ids: list[str]) -> list[str]:
        self.calls.append(("discard_subtasks", subtask_ids))
        for sid in subtask_ids:
            self.pending.append(self.running.pop(sid))
        return subtask_ids

    async def abort_subtask(self, task_id: str, subtask_id: str) -> None:
        self.calls.append(("abort_subtask", subtask_id))
        self.pending.append(self.running.pop(subtask_id))

    async def abort_task(self, task_id: str) -> None:
        self.calls.append(("abort_task", task_id))


def install(
    monkeypatch: pytest.MonkeyPatch,
    requestor: Callable[[Any], FakeRequestor],
    provider_dir: Callable[[Any, str], Path],
) -> None:
    """Replace how the node starts, uses and stops apps: `requestor(service)` is the
    requestor's client; a provider writes `result N` into `provider_dir(service, id)`."""

    async def start_requestor(service: Any) -> FakeRequestor:
        return requestor(service)

    async def start_provider(service: object) -> object:
        return object()

    async def compute_with(client: object, service: Any, task_id: str, sid: str, p: Any) -> Path:
        work_dir = provider_dir(service, sid)
        assert (work_dir / "subtask_inputs" / f"{sid}.in").read_text() == "in"
        (work_dir / f"{sid}.out").write_text(f"result {p['n']}")
        return Path(f"{sid}.out")

    async def shutdown_quietly(client: object, service: object) -> None:
        pass

    monkeypatch.setattr(apps, "start_requestor", start_requestor)
    monkeypatch.setattr(apps, "start_provider", start_provider)
    monkeypatch.setattr(apps, "compute_with", compute_with)
    monkeypatch.setattr(apps, "shutdown_quietly", shutdown_quietly)
