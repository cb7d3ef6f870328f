"""One requestor, eight client channels, hundreds of calls in flight.

The test is the node and the providers. Workers (one call in flight each)
mix NextSubtask, Verify with good and bad results, DiscardSubtasks of work
in progress and of accepted results, and HasPendingSubtasks. The test keeps
its own record of what was acknowledged and checks, as replies arrive, that
no part is handed out while another subtask still holds it. At the end the
requestor is SIGKILLed and its files must hold every acknowledged change,
with every part done exactly once and one valid result per part.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import pytest
from golem_task_api.node.client import RequestorAppClient
from golem_task_api.wire.dirutils import RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from tutorial_app.store import store

from tests.robustness.load_common import (
    RequestorProcess,
    check_outputs,
    new_sid,
    put_result,
    read_input,
)

pytestmark = pytest.mark.timeout(120)

CHANNELS = 8
WORKERS = 240
T = TypeVar("T")


class Node:
    """What the requestor acknowledged for one task, checked as replies arrive."""

    def __init__(self, task_id: str, task_dir: RequestorTaskDir, part_inputs: list[str]) -> None:
        self.task_id, self.task_dir, self.part_inputs = task_id, task_dir, part_inputs
        self.part_of_input = {text: index for index, text in enumerate(part_inputs)}
        self.part_of: dict[str, int] = {}
        #: part -> (subtask holding it, whether a release of it was sent)
        self.holder: dict[int, tuple[str, bool]] = {}
        self.done_parts: set[int] = set()
        self.accepted: list[str] = []
        self.final: dict[str, str] = {}  # sid -> the status it must end with
        self.redo_left = max(3, len(part_inputs) // 20)

    def finished(self) -> bool:
        return len(self.done_parts) == len(self.part_inputs)

    def assigned(self, sid: str) -> int:
        part = self.part_of_input[read_input(self.task_dir, sid)]
        previous = self.holder.get(part)
        assert previous is None or previous[1], f"part {part} held by {previous} and {sid}"
        self.holder[part] = (sid, False)
        self.part_of[sid] = part
        self.final[sid] = "in_progress"
        return part

    def releasing(self, sid: str) -> None:
        part = self.part_of[sid]
        if self.holder.get(part, ("", False))[0] == sid:
            self.holder[part] = (sid, True)
        self.done_parts.discard(part)

    def released(self, sid: str, status: str) -> None:
        part = self.part_of[sid]
        if self.holder.get(part, ("", False))[0] == sid:
            del self.holder[part]
        self.final[sid] = status

    def accept(self, sid: str) -> None:
        self.done_parts.add(self.part_of[sid])
        self.accepted.append(sid)
        self.final[sid] = "done"


class Calls:
    """Counts calls in flight across all workers."""

    def __init__(self) -> None:
        self.now = self.peak = self.total = 0

    async def __call__(self, call: Awaitable[T]) -> T:
        self.now += 1
        self.total += 1
        self.peak = max(self.peak, self.now)
        try:
            return await call
        finally:
            self.now -= 1


async def worker(node: Node, client: RequestorAppClient, calls: Calls, seed: int) -> None:
    rng = random.Random(seed)
    task_id = node.task_id
    while not node.finished():
        if rng.random() < 0.1:
            await calls(client.has_pending_subtasks(task_id))
        sid = new_sid()
        if await calls(client.next_subtask(task_id, sid, f"node-{seed % 7}")) is None:
            await asyncio.sleep(0.005 + rng.random() * 0.01)
            continue
        part = node.assigned(sid)
        roll = rng.random()
        if roll < 0.1:
            node.releasing(sid)
            assert await calls(client.discard_subtasks(task_id, [sid])) == [sid]
            node.released(sid, "discarded")
        else:
            good = roll >= 0.2
            put_result(node.task_dir, sid, node.part_inputs[part], valid=good)
            if not good:
                node.releasing(sid)
            result, reason = await calls(client.verify(task_id, sid))
            if good:
                assert result is VerifyResult.SUCCESS, reason
                node.accept(sid)
            else:
                assert result is VerifyResult.FAILURE, reason
                node.released(sid, "failed")
        if node.accepted and node.redo_left and rng.random() < 0.05:
            node.redo_left -= 1
            victim = node.accepted.pop(rng.randrange(len(node.accepted)))
            node.releasing(victim)
            assert await calls(client.discard_subtasks(task_id, [victim])) == [victim]
            node.released(victim, "discarded")


async def run_tasks(work_dir: Path, tasks: int, parts: int) -> None:
    requestor = RequestorProcess(work_dir)
    clients = await requestor.start(channels=CHANNELS)
    try:
        nodes = []
        for n in range(tasks):
            task_id = f"task-{n}"
            inputs = await requestor.create_task(task_id, parts)
            nodes.append(Node(task_id, requestor.task_dir(task_id), inputs))
        calls = Calls()
        await asyncio.gather(
            *(
                worker(nodes[i % tasks], clients[i % CHANNELS], calls, seed=i)
                for i in range(WORKERS)
            )
        )
    finally:
        await requestor.kill()  # nothing gets flushed on the way out
        await requestor.close_clients()
    print(f"calls: {calls.total}, peak in flight: {calls.peak}")
    assert calls.peak >= 200, f"only {calls.peak} calls were ever in flight at once"
    for node in nodes:
        loaded, _ = store.read_task(node.task_dir)
        assert loaded is not None
        # Each part keeps its latest attempt and counts the earlier ones (folded).
        latest: dict[int, str] = {}
        tries: dict[int, int] = {}
        for sid, part in node.part_of.items():  # in the order the node was told
            latest[part] = sid
            tries[part] = tries.get(part, 0) + 1
        lost = {
            sid: (node.final[sid], sub.status.value if sub else None)
            for sid in latest.values()
            if sid in node.final
            and ((sub := loaded.subtasks.get(sid)) is None or sub.status != node.final[sid])
        }
        assert not lost, f"acknowledged changes missing after SIGKILL: {lost}"
        short = [p for p, n in tries.items() if loaded.attempts(p) < n]
        assert not short, f"acknowledged attempts missing on parts {short}"
        assert set(loaded.subtasks) <= set(node.part_of), "a subtask the node never saw"
        check_outputs(node.task_dir, node.part_inputs)


async def test_one_task_of_1000_parts_over_8_channels(tmp_path: Path) -> None:
    await run_tasks(tmp_path / "work", tasks=1, parts=1000)


async def test_twenty_tasks_at_once_over_8_channels(tmp_path: Path) -> None:
    await run_tasks(tmp_path / "work", tasks=20, parts=60)
