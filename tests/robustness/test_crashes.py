"""Crashes and failed writes: nothing acknowledged is lost, nothing half-saved is kept.

The first test SIGKILLs a requestor at random moments (seeded) while
workers drive tasks, restarts it on the same work dir and carries on as a
node would: re-verify what was assigned, discard what it never heard of.
Between rounds, with the app dead, the files must parse and hold every
acknowledged change. The other tests make writes fail in-process (ENOSPC,
EIO, a torn write): the call fails with a clear error, and the state is
as before, in memory and on disk.
"""

from __future__ import annotations

import asyncio
import collections
import errno
import hashlib
import json
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from golem_task_api.node.client import RequestorAppClient
from golem_task_api.wire.dirutils import RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from tutorial_app.core.state import TaskState
from tutorial_app.handlers import commands, repair
from tutorial_app.search import pow
from tutorial_app.store import snapshot, store, syncing

from tests.robustness.load_common import (
    INPUT_TEXT,
    RequestorProcess,
    check_outputs,
    new_sid,
    put_result,
    read_input,
)
from tests.tutorial_app.support import fsync_running

pytestmark = pytest.mark.timeout(150)

ROUNDS = 50
PARTS = 200
WORKERS = 6


class Ledger:
    """The node's record of one task: what the requestor acknowledged."""

    def __init__(self, task_dir: RequestorTaskDir, part_inputs: list[str]) -> None:
        self.task_dir, self.part_inputs = task_dir, part_inputs
        self.part_of_input = {text: index for index, text in enumerate(part_inputs)}
        self.assigned: dict[str, int] = {}  # acknowledged NextSubtask
        self.verified: set[str] = set()  # acknowledged Verify SUCCESS
        self.retry: list[str] = []  # assigned, verdict not acknowledged yet
        self.strangers: list[str] = []  # in progress on disk, never acknowledged
        self.finished = False

    def check_disk(self) -> None:
        """With the app dead: the files parse and hold every acknowledged change."""
        json.loads((self.task_dir / store.SNAPSHOT_NAME).read_text(encoding="utf-8"))
        loaded = _read_unchanged(self.task_dir)
        # Each part keeps its latest attempt and counts the earlier ones (folded).
        acknowledged = collections.Counter(self.assigned.values())
        short = [p for p, n in acknowledged.items() if loaded.attempts(p) < n]
        assert not short, f"acknowledged assignments lost on parts {short}"
        missing = [
            sid
            for sid, part in self.assigned.items()
            if sid not in loaded.subtasks and loaded.parts[part].last in (None, sid)
        ]
        assert not missing, f"acknowledged assignments lost: {missing}"
        lost = [sid for sid in self.verified if loaded.subtasks[sid].status.value != "done"]
        assert not lost, f"acknowledged verdicts lost: {lost}"
        active = ("in_progress", "verifying")
        self.retry = [
            sid
            for sid in self.assigned
            if sid in loaded.subtasks and loaded.subtasks[sid].status.value in active
        ]
        self.strangers = [
            sid
            for sid, sub in loaded.subtasks.items()
            if sub.status.value in active and sid not in self.assigned
        ]
        self.finished = all(part.status.value == "done" for part in loaded.parts)


def _read_unchanged(task_dir: Path) -> TaskState:
    """Load the state without cutting a torn tail: the test never repairs for the app."""
    loaded, _ = store.read_task(task_dir, cut_torn_tail=False)
    assert loaded is not None
    return loaded


async def drive(ledger: Ledger, client: RequestorAppClient, seed: int) -> None:
    """Pairs until the task is done or the app dies under us."""
    task_id = ledger.task_dir.name
    rng = random.Random(seed)
    try:
        while ledger.strangers:
            sid = ledger.strangers.pop()
            await client.discard_subtasks(task_id, [sid])
        while True:
            if ledger.retry:
                sid = ledger.retry.pop()
            else:
                sid = new_sid("c")
                if await client.next_subtask(task_id, sid, "node") is None:
                    if not await client.has_pending_subtasks(task_id) and not ledger.retry:
                        return
                    await asyncio.sleep(0.005)
                    continue
                ledger.assigned[sid] = ledger.part_of_input[read_input(ledger.task_dir, sid)]
            part_input = ledger.part_inputs[ledger.assigned[sid]]
            put_result(ledger.task_dir, sid, part_input, valid=rng.random() > 0.1)
            result, reason = await client.verify(task_id, sid)
            if result is VerifyResult.SUCCESS:
                ledger.verified.add(sid)
            else:
                assert reason, "a rejection says why"
    except grpc.aio.AioRpcError as exc:
        if exc.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED):
            raise


async def test_sigkill_at_random_moments_loses_nothing(tmp_path: Path) -> None:
    rng = random.Random(20240607)
    requestor = RequestorProcess(tmp_path / "work")
    ledgers: list[Ledger] = []
    try:
        for round_no in range(ROUNDS + 1):
            clients = await requestor.start(channels=2)
            if not ledgers or ledgers[-1].finished:
                task_id = f"task-{len(ledgers)}"
                inputs = await requestor.create_task(task_id, PARTS)
                ledgers.append(Ledger(requestor.task_dir(task_id), inputs))
            ledger = ledgers[-1]
            work = [
                asyncio.ensure_future(drive(ledger, clients[i % 2], seed=round_no * 100 + i))
                for i in range(WORKERS)
            ]
            if round_no < ROUNDS:
                await asyncio.sleep(rng.uniform(0.0, 0.3))
                await requestor.kill()
                await asyncio.gather(*work)
                await requestor.close_clients()
            else:  # the last round runs to the end
                await asyncio.gather(*work)
                await requestor.stop()
            for each in ledgers:
                each.check_disk()
    finally:
        await requestor.kill()
        await requestor.close_clients()
    verified = sum(len(ledger.verified) for ledger in ledgers)
    print(f"{ROUNDS} kills, {len(ledgers)} tasks, {verified} acknowledged verdicts")
    assert ledgers[-1].finished
    for ledger in ledgers:
        check_outputs(ledger.task_dir, ledger.part_inputs)
    assert sum(len(ledger.verified) for ledger in ledgers) >= PARTS


# -- failed writes, in-process ---------------------------------------------------


@pytest.fixture
def task_dir(tmp_path: Path) -> RequestorTaskDir:
    directory = RequestorTaskDir(tmp_path / "task-1")
    directory.prepare()
    (directory.task_inputs_dir / "input.txt").write_text(INPUT_TEXT, encoding="utf-8")
    return directory


async def started(task_dir: RequestorTaskDir) -> store.TaskStore:
    """A 4-part task with subtask "a" assigned (so the journal exists)."""
    tasks = store.TaskStore(repair=repair.repair)
    task_params = {"difficulty": 0, "resources": ["input.txt"], "subtasks_count": 4}
    await commands.create_task(tasks, task_dir, 4, task_params)
    assert await commands.next_subtask(tasks, task_dir, "a", "node") is not None
    return tasks


def disk(task_dir: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((task_dir / name).read_bytes()).hexdigest()
        for name in (store.SNAPSHOT_NAME, store.JOURNAL_NAME)
    }


def dump(task: TaskState) -> dict[str, Any]:
    return snapshot.to_json(task, {})


async def memory(tasks: store.TaskStore, task_dir: Path) -> dict[str, Any]:
    async with tasks.session(task_dir) as session:
        return dump(session.require())


def failing(code: int) -> Callable[..., Any]:
    def fail(*args: object) -> Any:
        raise OSError(code, os.strerror(code))

    return fail


def split_write(journal: Callable[..., Any], others: Callable[..., Any]) -> Callable[..., Any]:
    """os.write that is `journal` for the task's journal and `others` for other files
    (input zips and published results are written with os.write too, before the journal)."""

    def write(fd: int, data: Any) -> Any:
        if os.readlink(f"/proc/self/fd/{fd}").endswith(store.JOURNAL_NAME):
            return journal(fd, data)
        return others(fd, data)

    return write


def assert_journal_whole(task_dir: Path) -> list[dict[str, Any]]:
    data = (task_dir / store.JOURNAL_NAME).read_bytes()
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.splitlines()]


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO])
async def test_failed_journal_write_changes_nothing(
    task_dir: RequestorTaskDir, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    tasks = await started(task_dir)
    before_memory, before_disk = await memory(tasks, task_dir), disk(task_dir)
    monkeypatch.setattr(os, "write", split_write(failing(code), os.write))
    with pytest.raises(OSError, match=f"could not save the task state.*{os.strerror(code)}"):
        await commands.next_subtask(tasks, task_dir, "b", "node")
    monkeypatch.undo()
    assert await memory(tasks, task_dir) == before_memory
    assert disk(task_dir) == before_disk
    assert await commands.next_subtask(tasks, task_dir, "b", "node") is not None
    assert [event["subtask_id"] for event in assert_journal_whole(task_dir)] == ["a", "b"]


@pytest.mark.parametrize("cut_fails", [False, True])
async def test_torn_write_is_cut_before_the_next_append(
    task_dir: RequestorTaskDir, monkeypatch: pytest.MonkeyPatch, cut_fails: bool
) -> None:
    """Half a line reaches the file, then ENOSPC; if cutting it fails too, a reload does."""
    tasks = await started(task_dir)
    before_memory, before_disk = await memory(tasks, task_dir), disk(task_dir)
    real_write = os.write
    writes: list[int] = []

    def half_then_full(fd: int, data: bytes) -> int:
        if writes:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        writes.append(fd)
        return real_write(fd, bytes(data)[: len(data) // 2])

    monkeypatch.setattr(os, "write", split_write(half_then_full, real_write))
    if cut_fails:
        monkeypatch.setattr(os, "ftruncate", failing(errno.EIO))
    with pytest.raises(OSError, match="could not save the task state"):
        await commands.next_subtask(tasks, task_dir, "b", "node")
    monkeypatch.undo()
    if not cut_fails:
        assert disk(task_dir) == before_disk
    assert await memory(tasks, task_dir) == before_memory
    assert await commands.next_subtask(tasks, task_dir, "c", "node") is not None
    assert [event["subtask_id"] for event in assert_journal_whole(task_dir)] == ["a", "c"]


async def test_failed_fsync_fails_the_call_and_rolls_back(
    task_dir: RequestorTaskDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EIO from fsync: the written events are cut, the state and outputs are as before."""
    tasks = await started(task_dir)
    part_input = await _part_input(tasks, task_dir, "a")
    put_result(task_dir, "a", part_input)
    before_memory, before_disk = await memory(tasks, task_dir), disk(task_dir)
    monkeypatch.setattr(syncing, "fsync", fsync_running(failing(errno.EIO)))
    with pytest.raises(OSError, match=r"could not save the task state.*Input/output error"):
        await commands.verify(tasks, task_dir, "a")
    monkeypatch.undo()
    assert disk(task_dir) == before_disk
    assert await memory(tasks, task_dir) == before_memory
    assert list(task_dir.task_outputs_dir.iterdir()) == []  # the reload repaired it
    assert await commands.verify(tasks, task_dir, "a") == (
        VerifyResult.SUCCESS,
        _reason(part_input),
    )
    assert [p.name for p in task_dir.task_outputs_dir.iterdir()] == ["a.zip"]


async def test_failed_input_write_assigns_nothing(
    task_dir: RequestorTaskDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = await started(task_dir)
    before_memory, before_disk = await memory(tasks, task_dir), disk(task_dir)
    monkeypatch.setattr(os, "replace", failing(errno.ENOSPC))
    monkeypatch.setattr(os, "write", half_then_failing(os.write, errno.ENOSPC))
    with pytest.raises(OSError, match="No space left on device"):
        await commands.next_subtask(tasks, task_dir, "b", "node")
    monkeypatch.undo()
    assert await memory(tasks, task_dir) == before_memory
    assert disk(task_dir) == before_disk


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO])
async def test_failed_result_publish_accepts_nothing(
    task_dir: RequestorTaskDir, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    """Our zip of an accepted result cannot be written: the verdict is not journaled,
    nothing is left in task_outputs, and the node's retry is accepted."""
    tasks = await started(task_dir)
    part_input = await _part_input(tasks, task_dir, "a")
    put_result(task_dir, "a", part_input)
    before_memory, before_disk = await memory(tasks, task_dir), disk(task_dir)
    monkeypatch.setattr(os, "replace", failing(code))
    monkeypatch.setattr(os, "write", split_write(os.write, half_then_failing(os.write, code)))
    with pytest.raises(OSError, match=os.strerror(code)):
        await commands.verify(tasks, task_dir, "a")
    monkeypatch.undo()
    assert await memory(tasks, task_dir) == before_memory
    assert disk(task_dir) == before_disk
    assert list(task_dir.task_outputs_dir.iterdir()) == []
    assert await commands.verify(tasks, task_dir, "a") == (
        VerifyResult.SUCCESS,
        _reason(part_input),
    )
    assert [p.name for p in task_dir.task_outputs_dir.iterdir()] == ["a.zip"]


def half_then_failing(real: Callable[[int, Any], int], code: int) -> Callable[[int, Any], int]:
    """os.write that gets half of the first write onto the disk, then fails (a disk filling up)."""
    calls = [0]

    def write(fd: int, data: Any) -> int:
        calls[0] += 1
        if calls[0] == 1 and len(data) > 1:
            return real(fd, memoryview(data)[: len(data) // 2])
        raise OSError(code, os.strerror(code))

    return write


async def _part_input(tasks: store.TaskStore, task_dir: Path, sid: str) -> str:
    async with tasks.session(task_dir) as session:
        loaded = session.require()
        return loaded.part_input(loaded.subtask(sid).part)


def _reason(part_input: str) -> str:
    return f"nonce 0 gives {pow.hash_hex(part_input, 0)}"


async def _new_task(tasks: store.TaskStore, directory: Path, parts: int) -> RequestorTaskDir:
    """A task at difficulty 0 created through the command, with one part handed out."""
    task_dir = RequestorTaskDir(directory)
    task_dir.prepare()
    (task_dir.task_inputs_dir / "input.txt").write_text(INPUT_TEXT, encoding="utf-8")
    task_params = {"difficulty": 0, "resources": ["input.txt"], "subtasks_count": parts}
    await commands.create_task(tasks, task_dir, parts, task_params)
    assert await commands.next_subtask(tasks, task_dir, f"s-{directory.name}", "node") is not None
    return task_dir


async def test_idle_tasks_leave_the_cache_and_reload_intact(tmp_path: Path) -> None:
    """A long-lived requestor keeps only recent tasks in memory; the rest reload from disk."""
    tasks = store.TaskStore(repair=repair.repair, max_cached=2)
    dirs = [await _new_task(tasks, tmp_path / f"t{n}", 2) for n in range(5)]
    cached = [d for d in dirs if tasks.is_cached(d)]
    assert cached == dirs[-2:]
    before = dump(_read_unchanged(dirs[0]))
    assert await memory(tasks, dirs[0]) == before  # reloaded from disk
    assert await commands.next_subtask(tasks, dirs[0], "again", "node") is not None


async def test_settled_tasks_leave_the_cache_first(tmp_path: Path) -> None:
    """Finished tasks beyond the few most recent drop their state; busy ones stay."""
    tasks = store.TaskStore(repair=repair.repair, max_cached=32, max_settled=2)
    dirs = []
    for n in range(6):  # the last one stays busy: its part is out with a provider
        dirs.append(directory := await _new_task(tasks, tmp_path / f"t{n}", 1))
        if n < 5:
            sid = f"s-t{n}"
            put_result(directory, sid, read_input(directory, sid))
            assert (await commands.verify(tasks, directory, sid))[0] is VerifyResult.SUCCESS
    assert [tasks.is_cached(d) for d in dirs] == [False, False, False, True, True, True]
    before = dump(_read_unchanged(dirs[0]))
    assert await memory(tasks, dirs[0]) == before  # reloaded from disk, still settled
    assert await commands.discard_subtasks(tasks, dirs[0], ["s-t0"]) == ["s-t0"]
    assert tasks.is_cached(dirs[0]) and not tasks.is_cached(dirs[1])


async def test_failed_group_fsync_fails_every_waiting_call(
    task_dir: RequestorTaskDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrent calls share one fsync; when it fails, none of them is kept."""
    tasks = await started(task_dir)
    before_memory, before_disk = await memory(tasks, task_dir), disk(task_dir)

    def slow_eio(fd: int) -> None:
        time.sleep(0.02)  # let the other calls write and queue behind this fsync
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(syncing, "fsync", fsync_running(slow_eio))
    calls = [commands.next_subtask(tasks, task_dir, f"b{n}", "node") for n in range(3)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    monkeypatch.undo()
    assert all(isinstance(r, OSError) and "could not save" in str(r) for r in results), results
    assert disk(task_dir) == before_disk
    assert await memory(tasks, task_dir) == before_memory
    assert await commands.next_subtask(tasks, task_dir, "b0", "node") is not None
