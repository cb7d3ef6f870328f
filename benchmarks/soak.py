"""Soak: one requestor kept busy by 4 simulated providers for minutes on end.

Tasks of `--parts` parts run one after another, as on a node; a finished
task's directory is collected (deleted) like a node would after handing
the results over. Each provider loops NextSubtask, a real computation at
difficulty 0 (read the input zip, hash, write the result zip), Verify; now
and then it asks HasPendingSubtasks or discards an accepted result.
Reports calls served, errors (must be 0) and the requestor's RSS: right
after start, after a warm-up (the first tenth of the run, at least 20 s)
and at the end. Growth is measured from the warm-up figure and must stay
under 10%; the growth from start is printed too (the first minute fills
thread pools, buffers and the store's cache of recent tasks). Not part of
`make test`.

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--parts 500] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from golem_task_api.wire.enums import VerifyResult
from requestor_load import (
    Requestor,
    new_id,
    put_result,
    read_input,
    result_zip,
    rss_now_mib,
)

PROVIDERS = 4


@dataclass
class Soak:
    requestor: Requestor
    parts: int
    deadline: float
    calls: int = 0
    errors: list[str] = field(default_factory=list)
    tasks_done: int = 0
    task_id: str = ""
    in_flight: dict[str, int] = field(default_factory=dict)
    _switch: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def call(self, coro: Any) -> Any:
        self.calls += 1
        return await coro

    async def next_task(self, finished: str) -> None:
        """Once nothing of the task is pending or in flight, collect it and start the next."""
        async with self._switch:
            if self.task_id != finished:
                return
            if finished:
                client = self.requestor.client
                if self.in_flight.get(finished) or await client.has_pending_subtasks(finished):
                    return
                self.calls += 1
                shutil.rmtree(self.requestor.task_dir(finished), ignore_errors=True)
                self.tasks_done += 1
            task_id = new_id("task-")
            await self.requestor.create_task(task_id, self.parts)
            self.calls += 1
            self.task_id = task_id

    async def provider(self, seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < self.deadline:
            task_id = self.task_id
            self.in_flight[task_id] = self.in_flight.get(task_id, 0) + 1
            try:
                idle = await self.one_subtask(task_id, rng, seed)
            except Exception as exc:  # every failure counts; the soak goes on
                self.errors.append(f"{type(exc).__name__}: {exc}")
                idle = False
            finally:
                self.in_flight[task_id] -= 1
            if idle:
                await self.next_task(task_id)
                await asyncio.sleep(0.002)

    async def one_subtask(self, task_id: str, rng: random.Random, seed: int) -> bool:
        """NextSubtask, compute, Verify (sometimes a discard after); True if none was left."""
        client = self.requestor.client
        if rng.random() < 0.05:
            await self.call(client.has_pending_subtasks(task_id))
        sid = new_id()
        if await self.call(client.next_subtask(task_id, sid, f"p{seed}")) is None:
            return True
        task_dir = self.requestor.task_dir(task_id)
        data = await asyncio.to_thread(lambda: result_zip(read_input(task_dir, sid)))
        await asyncio.to_thread(put_result, task_dir, sid, data)
        verdict, reason = await self.call(client.verify(task_id, sid))
        if verdict is not VerifyResult.SUCCESS:
            self.errors.append(f"{sid}: {verdict.name} {reason}")
        elif rng.random() < 0.01:  # the node drops a result: the part is done again
            await self.call(client.discard_subtasks(task_id, [sid]))
        return False


async def run(minutes: float, parts: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        requestor = await Requestor(Path(tmp)).start()
        pid = requestor.pid
        start_rss = rss_now_mib(pid)
        started = time.monotonic()
        soak = Soak(requestor, parts, started + minutes * 60)
        await soak.next_task("")
        warm_at = started + max(20.0, minutes * 6.0)
        samples: list[tuple[float, float]] = []

        async def sample() -> None:
            while time.monotonic() < soak.deadline:
                samples.append((time.monotonic() - started, rss_now_mib(pid)))
                await asyncio.sleep(5.0)

        sampler = asyncio.ensure_future(sample())
        await asyncio.gather(*(soak.provider(seed) for seed in range(PROVIDERS)))
        sampler.cancel()
        end_rss = rss_now_mib(pid)
        elapsed = time.monotonic() - started
        await requestor.stop()
    warm_rss = next((rss for at, rss in samples if at >= warm_at - started), end_rss)
    return {
        "minutes": round(elapsed / 60, 2),
        "calls_served": soak.calls,
        "calls_per_s": round(soak.calls / elapsed, 1),
        "tasks_completed": soak.tasks_done,
        "errors": len(soak.errors),
        "first_errors": soak.errors[:5],
        "rss_start_mib": round(start_rss, 1),
        "rss_after_warmup_mib": round(warm_rss, 1),
        "rss_end_mib": round(end_rss, 1),
        "rss_max_mib": round(max(rss for _, rss in samples), 1),
        "growth_after_warmup": round(end_rss / warm_rss - 1, 4),
        "growth_from_start": round(end_rss / start_rss - 1, 4),
        "rss_each_minute_mib": [round(rss, 1) for at, rss in samples if int(at) % 60 < 5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--parts", type=int, default=500, help="parts per task")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = asyncio.run(run(args.minutes, args.parts))
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>22}: {value}")
    ok = report["errors"] == 0 and report["growth_after_warmup"] < 0.10
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
