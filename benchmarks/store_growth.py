"""What a task costs as its history grows, and how long the event loop stalls.

In-process, driving the requestor's commands directly (no gRPC):

* `cycles`: NextSubtask + AbortSubtask cycles on a one-part task; prints the
  size of `task.json` after a compaction and the process's RSS growth.
  fsync is switched off: durability is not what is measured here.
* `stall`: the longest gap seen by a coroutine that wakes every 5 ms, while
  CreateTask runs on a 16 MiB input of control characters and on 10,000
  parts, and while those tasks are compacted.

Works on any version of the app that has `commands.*` and `TaskStore.compact`,
so it can be run side by side against an older checkout (PYTHONPATH).

    .venv/bin/python benchmarks/store_growth.py [--cycles 24000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from golem_task_api.wire.dirutils import RequestorTaskDir
from tutorial_app.handlers import commands, repair
from tutorial_app.store import store


def rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def task_dir(root: Path, name: str, text: bytes) -> RequestorTaskDir:
    directory = RequestorTaskDir(root / name)
    directory.prepare()
    (directory.task_inputs_dir / "input.txt").write_bytes(text)
    return directory


async def longest_gap(work: Awaitable[Any]) -> float:
    """Seconds: the longest the loop left a 5 ms ticker waiting while `work` ran."""
    longest = 0.0

    async def tick() -> None:
        nonlocal longest
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            longest, last = max(longest, now - last), now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.02)
    try:
        await work
    finally:
        ticker.cancel()
    return longest


async def cycles(root: Path, count: int) -> dict[str, float]:
    real_fsync = os.fsync
    os.fsync = lambda fd: None  # type: ignore[assignment]
    try:
        tasks = store.TaskStore(repair=repair.repair)
        directory = task_dir(root, "cycles", b"one part\n")
        params = {"difficulty": 0, "resources": ["input.txt"], "subtasks_count": 1}
        await commands.create_task(tasks, directory, 1, params)
        before = rss_mib()
        started = time.perf_counter()
        for n in range(count):
            await commands.next_subtask(tasks, directory, f"s{n}", "node")
            await commands.abort_subtask(tasks, directory, f"s{n}")
        elapsed = time.perf_counter() - started
        compact = await longest_gap(tasks.compact(directory))
        return {
            "cycles": count,
            "seconds": round(elapsed, 2),
            "task_json_bytes": (directory / store.SNAPSHOT_NAME).stat().st_size,
            "rss_before_mib": round(before, 1),
            "rss_after_mib": round(rss_mib(), 1),
            "compaction_stall_ms": round(compact * 1e3, 1),
        }
    finally:
        os.fsync = real_fsync


async def stall(root: Path, name: str, text: bytes, parts: int) -> dict[str, float]:
    tasks = store.TaskStore(repair=repair.repair)
    directory = task_dir(root, name, text)
    params = {"difficulty": 0, "resources": ["input.txt"], "subtasks_count": parts}
    create = await longest_gap(commands.create_task(tasks, directory, parts, params))
    compact = await longest_gap(tasks.compact(directory))
    size = sum(p.stat().st_size for p in Path(directory).iterdir() if p.is_file())
    return {
        "create_stall_ms": round(create * 1e3, 1),
        "compaction_stall_ms": round(compact * 1e3, 1),
        "state_files_mib": round(size / 2**20, 2),
    }


async def main(count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="store-growth-") as tmp:
        root = Path(tmp)
        control = b"\x01\x1f\x7f\x00" * (16 * 2**20 // 4)
        return {
            "cycles": await cycles(root, count),
            "input_16mib_control": await stall(root, "big", control, 2),
            "parts_10000": await stall(root, "many", b"many parts\n", 10_000),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=24_000)
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    result = asyncio.run(main(args.cycles))
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))
