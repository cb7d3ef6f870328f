"""Shared by the concurrency and crash tests: a requestor process and a provider stand-in.

The tests play both the node and the providers. Tasks run at difficulty 0,
where nonce 0 is always valid, so a "computation" is one sha256 of the part
input that the requestor wrote into `subtask_inputs/<sid>.zip`.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from golem_task_api.node.client import RequestorAppClient
from golem_task_api.node.ports import free_port
from golem_task_api.node.services import ProcessTaskApiService
from golem_task_api.wire.dirutils import RequestorTaskDir
from tutorial_app.files import zips
from tutorial_app.search import pow
from tutorial_app.store import store

APP_COMMAND = [sys.executable, "-m", "tutorial_app.entrypoint"]
INPUT_TEXT = "Robustness: many callers, crashes, big tasks.\n"
_ids = itertools.count()


def new_sid(prefix: str = "s") -> str:
    return f"{prefix}{next(_ids):07d}"


@dataclass
class RequestorProcess:
    """The app as a real process on a work dir that outlives it (restarts reuse it)."""

    work_dir: Path
    service: ProcessTaskApiService = field(init=False)
    client: RequestorAppClient | None = None
    extra: list[RequestorAppClient] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.service = ProcessTaskApiService(self.work_dir, APP_COMMAND, stop_grace=3.0)

    async def start(self, channels: int = 1) -> list[RequestorAppClient]:
        """Start the app; one client per channel (the first one owns the process)."""
        self.client = await RequestorAppClient.create(self.service, free_port())
        self.extra = [
            await RequestorAppClient.connect(self.service, self.client.host, self.client.port)
            for _ in range(channels - 1)
        ]
        return [self.client, *self.extra]

    async def kill(self) -> None:
        """SIGKILL: no chance to flush or clean up (clients stay open: `close_clients`)."""
        pid = self.service.pid
        if pid is not None and self.service.running():
            os.kill(pid, signal.SIGKILL)
        await self.service.stop()

    async def close_clients(self) -> None:
        for client in self.extra:
            await client.close()
        if self.client is not None:
            await self.client.close()
        self.extra, self.client = [], None

    async def stop(self) -> None:
        for client in self.extra:
            await client.close()
        self.extra = []
        if self.client is not None:
            await self.client.shutdown()
            self.client = None
        await self.service.stop()

    def task_dir(self, task_id: str) -> RequestorTaskDir:
        return RequestorTaskDir(self.work_dir / task_id)

    async def create_task(self, task_id: str, parts: int) -> list[str]:
        """A task at difficulty 0; returns each part's input (index = part)."""
        assert self.client is not None
        task_dir = self.task_dir(task_id)
        task_dir.prepare()
        (task_dir.task_inputs_dir / "input.txt").write_text(INPUT_TEXT, encoding="utf-8")
        task_params = {"difficulty": 0, "resources": ["input.txt"], "subtasks_count": parts}
        await self.client.create_task(task_id, parts, task_params)
        loaded, _ = store.read_task(task_dir, cut_torn_tail=False)
        assert loaded is not None
        return [loaded.part_input(index) for index in range(len(loaded.parts))]


def read_input(task_dir: RequestorTaskDir, sid: str) -> str:
    """The part input the requestor handed out under `sid`."""
    return zips.read_text_member(
        task_dir.subtask_inputs_dir / f"{sid}.zip", zips.MAX_INPUT_BYTES, "input"
    )


def result_line(part_input: str, valid: bool = True) -> str:
    good = pow.hash_hex(part_input, 0)
    return f"{good} 0" if valid else f"{good} 1"  # nonce 1 does not give that hash


def put_result(task_dir: RequestorTaskDir, sid: str, part_input: str, valid: bool = True) -> None:
    """What the node does before Verify: the provider's zip under subtask_outputs/<sid>/."""
    directory = task_dir.subtask_outputs_dir(sid)
    directory.mkdir(parents=True, exist_ok=True)
    data = zips.zip_bytes(zips.RESULT_MEMBER, result_line(part_input, valid))
    (directory / f"{sid}.zip").write_bytes(data)


def check_outputs(task_dir: RequestorTaskDir, part_inputs: list[str]) -> None:
    """Finished: every part done once, and task_outputs is one valid result per part."""
    loaded, _ = store.read_task(task_dir)
    assert loaded is not None
    assert all(part.status.value == "done" for part in loaded.parts)
    done = {sid: sub.part for sid, sub in loaded.subtasks.items() if sub.status.value == "done"}
    assert sorted(done.values()) == list(range(len(part_inputs))), "a part done twice or never"
    names = sorted(path.name for path in task_dir.task_outputs_dir.iterdir())
    assert names == sorted(f"{sid}.zip" for sid in done)
    for sid, part in done.items():
        text = zips.read_text_member(task_dir.task_outputs_dir / f"{sid}.zip", 1024, "result")
        pow.check_proof(part_inputs[part], 0, pow.parse_result(text))
