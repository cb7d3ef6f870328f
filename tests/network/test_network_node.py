"""The node's scheduling in-process, with fake apps: the paths the real app rarely takes."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import grpc
import pytest
from golem_task_api.node.network import apps, node
from golem_task_api.node.network.report import TaskStatus
from golem_task_api.wire.enums import VerifyResult

from tests.network import fake_apps
from tests.network.fake_apps import FakeRequestor


def rpc_error(details: str) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(
        grpc.StatusCode.INTERNAL, grpc.aio.Metadata(), grpc.aio.Metadata(), details
    )


@pytest.fixture
def network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Builds a LocalNetwork whose apps are fakes; returns (network, requestor)."""
    (tmp_path / "input.txt").write_text("hello")

    def build(parts: int, verdicts: list[Any], **overrides: Any) -> Any:
        config = node.NetworkConfig(
            inputs=[tmp_path / "input.txt"],
            task_params={},
            subtasks=parts,
            providers=2,
            make_service=lambda work_dir: object(),  # type: ignore[arg-type,return-value]
            out_dir=tmp_path / "out",
            tls=False,
            work_root=tmp_path / "work",
            task_id="task-1",
            **overrides,
        )
        fake = FakeRequestor(tmp_path / "work" / "requestor" / "task-1", parts, verdicts)
        providers = tmp_path / "work" / "providers"
        fake_apps.install(monkeypatch, lambda service: fake, lambda service, sid: providers / sid)
        return node.LocalNetwork(config), fake

    return build


async def test_all_verified(network: Any, tmp_path: Path) -> None:
    local, fake = network(3, [])
    report = await local.run()
    assert report.status is TaskStatus.FINISHED
    assert report.stats.verified == 3 and report.stats.failed_attempts == 0
    assert sorted(p.read_text() for p in (tmp_path / "out").glob("task-1-*.out")) == [
        "result 0",
        "result 1",
        "result 2",
    ]
    assert fake.calls[0] == ("create_task", 3)
    assert (tmp_path / "work" / "requestor" / "task-1" / "task_inputs" / "input.txt").exists()


async def test_failed_verify_call_discards_and_retries(network: Any) -> None:
    local, fake = network(2, [rpc_error("disk full"), VerifyResult.INCONCLUSIVE])
    report = await local.run()
    assert report.status is TaskStatus.FINISHED
    assert report.stats.verified == 2
    assert report.stats.failed_attempts == report.stats.retried == 2
    discarded = [args for name, args in fake.calls if name == "discard_subtasks"]
    assert len(discarded) == 2 and all(len(ids) == 1 for ids in discarded)
    assert not [call for call in fake.calls if call[0] in ("abort_subtask", "abort_task")]


async def test_rejections_past_the_limit_abort_the_task(network: Any, tmp_path: Path) -> None:
    local, fake = network(1, [VerifyResult.FAILURE] * 3, max_retries=2)
    report = await local.run()
    assert report.status is TaskStatus.FAILED
    assert "3 failed attempts (limit 2)" in (report.error or "")
    assert fake.calls[-1] == ("abort_task", "task-1")
    assert not (tmp_path / "out").exists()


async def test_result_outside_the_provider_dir_is_refused(
    network: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    local, fake = network(1, [])
    answers = iter([Path("../../../etc/passwd")])

    async def compute_with(
        client: object, service: object, task_id: str, sid: str, params: Any
    ) -> Path:
        path = next(answers, None)
        if path is None:
            work_dir = local.config.work_root / "providers" / sid
            (work_dir / f"{sid}.out").write_text("fine")
            return Path(f"{sid}.out")
        return path

    monkeypatch.setattr(apps, "compute_with", compute_with)
    report = await local.run()
    assert report.status is TaskStatus.FINISHED, report.error
    assert report.stats.failed_attempts == 1
    assert [name for name, _ in fake.calls].count("abort_subtask") == 1


async def test_providers_started_ahead_are_stopped_when_the_task_runs_out(
    network: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local, fake = network(3, [])
    started: list[Path] = []
    stopped: list[Path] = []

    def make_service(work_dir: Path) -> Any:
        started.append(work_dir)
        return work_dir

    async def shutdown_quietly(client: object, service: Path) -> None:
        stopped.append(service)

    monkeypatch.setattr(apps, "shutdown_quietly", shutdown_quietly)
    local.config = dataclasses.replace(local.config, make_service=make_service)
    report = await local.run()
    assert report.status is TaskStatus.FINISHED
    handed = [sid for name, sid in fake.calls if name == "verify"]
    assert len(handed) == 3
    # Every provider started ahead and never handed a subtask was stopped, its dir removed;
    # each handed-out subtask had its own provider and its own (kept) work dir.
    unused = [work_dir for work_dir in started if work_dir.name not in handed]
    assert unused and sorted(stopped) == sorted(unused)
    providers = tmp_path / "work" / "providers"
    assert sorted(p.name for p in providers.iterdir()) == sorted(handed)
    ledger_ids = (tmp_path / "work" / "subtasks.jsonl").read_text()
    assert not any(work_dir.name in ledger_ids for work_dir in unused)


async def test_a_provider_that_fails_to_start_ahead_fails_only_its_attempt(
    network: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    local, fake = network(2, [])
    starts = iter([apps.AppStartError("the provider app did not start: boom")])

    async def start_provider(service: object) -> object:
        failure = next(starts, None)
        if failure is not None:
            raise failure
        return object()

    monkeypatch.setattr(apps, "start_provider", start_provider)
    report = await local.run()
    assert report.status is TaskStatus.FINISHED, report.error
    assert report.stats.verified == 2 and report.stats.failed_attempts == 1
    assert [name for name, _ in fake.calls].count("abort_subtask") == 1


async def test_a_provider_is_free_again_once_it_has_delivered(
    network: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one provider slot, the next subtask computes while the last one is verified."""
    local, fake = network(2, [])
    local.config = dataclasses.replace(local.config, providers=1)
    second_computes = asyncio.Event()
    events: list[str] = []
    compute_with, verify = apps.compute_with, fake.verify

    async def computing(client: object, service: object, task_id: str, sid: str, p: Any) -> Path:
        events.append(f"compute {p['n']}")
        if p["n"] == 1:
            second_computes.set()
        return await compute_with(client, service, task_id, sid, p)

    async def verifying(task_id: str, subtask_id: str) -> tuple[VerifyResult, str]:
        n = fake.running[subtask_id]
        if n == 0:  # held until the slot's next subtask computes
            await asyncio.wait_for(second_computes.wait(), 10)  # a guard, not a budget
        events.append(f"verified {n}")
        return await verify(task_id, subtask_id)

    monkeypatch.setattr(apps, "compute_with", computing)
    fake.verify = verifying
    report = await local.run()
    assert report.status is TaskStatus.FINISHED, report.error
    assert events[:2] == ["compute 0", "compute 1"]
    assert sorted(events[2:]) == ["verified 0", "verified 1"]
    assert report.stats.running == 0
