"""State that grows with parts, not history, and never stalls the event loop.

Regressions (issue 13, defect 5): every attempt stayed in the state forever
(24,000 NextSubtask+AbortSubtask cycles on a one-part task gave a 25 MiB
`task.json`), and a 16 MiB input of control characters gave a 105 MiB
`task.json` serialised in the event loop (a 1.2 s stall at CreateTask).
The stall bound is generous (0.5 s, for a loaded 2-core machine); the
figures go to stdout, and `benchmarks/store_stall.py` measures them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import TypeVar

import pytest
from golem_task_api.wire.dirutils import RequestorTaskDir
from tutorial_app.files import zips
from tutorial_app.handlers import commands, repair
from tutorial_app.store import snapshot, store, syncing

from tests.tutorial_app.support import fsync_running

T = TypeVar("T")
STALL_BOUND_SECONDS = 0.5


class Ticker:
    """A coroutine that wakes every 5 ms and records the longest gap between wake-ups."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now

    async def around(self, work: Awaitable[T]) -> T:
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0.02)  # the ticker is running before the work starts
        try:
            return await work
        finally:
            self._task.cancel()


@pytest.fixture
async def no_fsync(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    """Durability is not what these tests measure; fsyncs would only make them slow."""
    monkeypatch.setattr(syncing, "fsync", fsync_running(lambda fd: None))
    yield


def big_task_dir(tmp_path: Path, text: bytes) -> RequestorTaskDir:
    directory = RequestorTaskDir(tmp_path / "task")
    directory.prepare()
    (directory.task_inputs_dir / "input.txt").write_bytes(text)
    return directory


@pytest.mark.timeout(600)
async def test_24000_abort_cycles_keep_the_snapshot_flat(
    task_dir: RequestorTaskDir, no_fsync: None
) -> None:
    tasks = store.TaskStore(repair=repair.repair)
    task_params = {"difficulty": 0, "resources": ["input.txt"], "subtasks_count": 1}
    await commands.create_task(tasks, task_dir, 1, task_params)
    sizes = {}
    for n in range(24_000):
        assert await commands.next_subtask(tasks, task_dir, f"s{n}", "node") is not None
        await commands.abort_subtask(tasks, task_dir, f"s{n}")
        if n + 1 in (2_000, 24_000):
            await tasks.compact(task_dir)
            sizes[n + 1] = (task_dir / store.SNAPSHOT_NAME).stat().st_size
    print(f"task.json after 2,000 cycles: {sizes[2000]} B; after 24,000: {sizes[24000]} B")
    assert sizes[24_000] <= sizes[2_000] + 16  # a few more digits in the counters
    assert (task_dir / store.JOURNAL_NAME).stat().st_size < 1024 * 1024
    loaded, _ = store.read_task(task_dir)
    assert loaded is not None and len(loaded.subtasks) == 1 and loaded.attempts(0) == 24_000


@pytest.mark.timeout(300)
async def test_16_mib_of_control_characters_never_stalls_the_loop(tmp_path: Path) -> None:
    text = b"\x01\x1f\x7f\x00" * (zips.MAX_INPUT_BYTES // 4)
    task_dir = big_task_dir(tmp_path, text)
    tasks = store.TaskStore(repair=repair.repair)
    task_params = {"difficulty": 0, "resources": ["input.txt"], "subtasks_count": 2}
    ticker = Ticker()
    await ticker.around(commands.create_task(tasks, task_dir, 2, task_params))
    create_stall = ticker.longest
    ticker = Ticker()
    await ticker.around(tasks.compact(task_dir))
    compact_stall = ticker.longest
    print(
        f"16 MiB input: longest loop gap {create_stall * 1e3:.1f} ms at CreateTask, "
        f"{compact_stall * 1e3:.1f} ms at compaction"
    )
    assert create_stall < STALL_BOUND_SECONDS and compact_stall < STALL_BOUND_SECONDS
    # Stored once, as the bytes it was; the snapshot stays small.
    assert (task_dir / snapshot.INPUT_NAME).read_bytes() == text
    assert (task_dir / store.SNAPSHOT_NAME).stat().st_size < 4096
    tasks.forget(task_dir)
    assert await commands.has_pending_subtasks(tasks, task_dir) is True


@pytest.mark.timeout(300)
async def test_10000_parts_never_stall_the_loop(tmp_path: Path) -> None:
    task_dir = big_task_dir(tmp_path, b"ten thousand parts\n")
    tasks = store.TaskStore(repair=repair.repair)
    task_params = {"difficulty": 0, "resources": ["input.txt"], "subtasks_count": 10_000}
    ticker = Ticker()
    await ticker.around(commands.create_task(tasks, task_dir, 10_000, task_params))
    create_stall = ticker.longest
    for n in range(200):  # some history to fold and some subtasks in flight
        await commands.next_subtask(tasks, task_dir, f"s{n}", "node")
        if n % 2:
            await commands.abort_subtask(tasks, task_dir, f"s{n}")
    ticker = Ticker()
    await ticker.around(tasks.compact(task_dir))
    compact_stall = ticker.longest
    print(
        f"10,000 parts: longest loop gap {create_stall * 1e3:.1f} ms at CreateTask, "
        f"{compact_stall * 1e3:.1f} ms at compaction"
    )
    assert create_stall < STALL_BOUND_SECONDS and compact_stall < STALL_BOUND_SECONDS
    tasks.forget(task_dir)
    assert await commands.has_pending_subtasks(tasks, task_dir) is True
