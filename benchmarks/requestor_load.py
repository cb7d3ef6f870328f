"""How fast one requestor serves NextSubtask + Verify pairs as tasks grow.

The app runs as a real process over loopback gRPC; this script plays the
node and the providers. Results are precomputed at difficulty 0 (nonce 0
is always valid) from the parts' salts in the task's state, so only the
requestor's work is timed: each pair is NextSubtask, a lookup of the
prepared result zip by the input the requestor wrote, a file write (what a
node's copy does), and Verify. Every acknowledged change is durable: the
app fsyncs its journal before each reply.

    .venv/bin/python benchmarks/requestor_load.py [--parts 100 1000 10000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from golem_task_api.node.client import RequestorAppClient
from golem_task_api.node.ports import free_port
from golem_task_api.node.services import ProcessTaskApiService
from golem_task_api.wire.dirutils import RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from tutorial_app.files import zips
from tutorial_app.search import pow
from tutorial_app.store import store

APP_COMMAND = [sys.executable, "-m", "tutorial_app.entrypoint"]
INPUT_TEXT = "Golem requestor load benchmark.\n" * 4
#: Mutual TLS between the "node" and the requestor (--tls); plaintext by default.
USE_TLS = False
_ids = itertools.count()


def new_id(prefix: str = "s") -> str:
    return f"{prefix}{next(_ids):08d}"


def result_zip(part_input: str) -> bytes:
    """A provider's result at difficulty 0: nonce 0 is valid for any input."""
    return zips.zip_bytes(zips.RESULT_MEMBER, pow.Proof(pow.hash_hex(part_input, 0), 0).to_line())


def read_input(task_dir: RequestorTaskDir, subtask_id: str) -> str:
    with zipfile.ZipFile(task_dir.subtask_inputs_dir / f"{subtask_id}.zip") as archive:
        return archive.read(zips.INPUT_MEMBER).decode("utf-8")


def put_result(task_dir: RequestorTaskDir, subtask_id: str, data: bytes) -> None:
    """What the node does before Verify: the result under subtask_outputs/<sid>/."""
    directory = task_dir.subtask_outputs_dir(subtask_id)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{subtask_id}.zip").write_bytes(data)


def _status_mib(pid: int, key: str) -> float:
    """A memory figure (kB in /proc/<pid>/status) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {key}")


def rss_peak_mib(pid: int) -> float:
    return _status_mib(pid, "VmHWM")


def rss_now_mib(pid: int) -> float:
    return _status_mib(pid, "VmRSS")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process: the cost on a shared machine, less noisy than rates."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Requestor:
    """A requestor process on a work dir, and a client for it."""

    work_dir: Path
    service: ProcessTaskApiService = field(init=False)
    client: RequestorAppClient = field(init=False)

    async def start(self) -> Requestor:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        if USE_TLS:
            from golem_task_api.node.certs import write_tls_files

            write_tls_files(self.work_dir)
        self.service = ProcessTaskApiService(self.work_dir, APP_COMMAND, stop_grace=3.0)
        self.client = await RequestorAppClient.create(self.service, free_port())
        return self

    @property
    def pid(self) -> int:
        assert self.service.pid is not None
        return self.service.pid

    def task_dir(self, task_id: str) -> RequestorTaskDir:
        return RequestorTaskDir(self.work_dir / task_id)

    async def create_task(self, task_id: str, parts: int) -> dict[str, bytes]:
        """Create a task at difficulty 0; the result zip for each part input."""
        task_dir = self.task_dir(task_id)
        task_dir.prepare()
        (task_dir.task_inputs_dir / "input.txt").write_text(INPUT_TEXT, encoding="utf-8")
        task_params = {"difficulty": 0, "resources": ["input.txt"], "subtasks_count": parts}
        await self.client.create_task(task_id, parts, task_params)
        task, _ = store.read_task(task_dir, cut_torn_tail=False)  # a reader: writes nothing
        assert task is not None
        inputs = (task.part_input(index) for index in range(len(task.parts)))
        return {text: result_zip(text) for text in inputs}

    async def stop(self) -> None:
        await self.client.shutdown()


async def pipeline(
    client: RequestorAppClient,
    task_dir: RequestorTaskDir,
    results: dict[str, bytes],
    latencies: list[float],
) -> None:
    """Pairs until the task has nothing pending."""
    task_id = task_dir.name
    while True:
        sid = new_id()
        started = time.perf_counter()
        subtask = await client.next_subtask(task_id, sid, "bench-node")
        if subtask is None:
            return
        put_result(task_dir, sid, results[read_input(task_dir, sid)])
        verdict, reason = await client.verify(task_id, sid)
        latencies.append(time.perf_counter() - started)
        if verdict is not VerifyResult.SUCCESS:
            raise RuntimeError(f"subtask {sid} rejected: {reason}")


async def measure(parts: int, concurrency: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="requestor-load-") as tmp:
        requestor = await Requestor(Path(tmp)).start()
        try:
            results = await requestor.create_task("load", parts)
            task_dir = requestor.task_dir("load")
            latencies: list[float] = []
            app_cpu, node_cpu = cpu_seconds(requestor.pid), time.process_time()
            started = time.perf_counter()
            await asyncio.gather(
                *(
                    pipeline(requestor.client, task_dir, results, latencies)
                    for _ in range(concurrency)
                )
            )
            elapsed = time.perf_counter() - started
            app_cpu = cpu_seconds(requestor.pid) - app_cpu
            node_cpu = time.process_time() - node_cpu
            peak = rss_peak_mib(requestor.pid)
            done = len(list(task_dir.task_outputs_dir.iterdir()))
        finally:
            await requestor.stop()
    if done != parts or len(latencies) != parts:
        raise RuntimeError(f"{parts} parts but {done} outputs and {len(latencies)} pairs")
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "pairs_per_s": parts / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": cuts[98] * 1000,
        "peak_rss_mib": peak,
        "cost_s_per_pair": elapsed / parts,
        "app_cpu_ms_per_pair": app_cpu * 1000 / parts,
        "node_cpu_ms_per_pair": node_cpu * 1000 / parts,
    }


async def run(sizes: list[int], concurrency: int) -> dict[str, Any]:
    figures = {size: await measure(size, concurrency) for size in sizes}
    report: dict[str, Any] = {
        key: {size: round(f[key], 3) for size, f in figures.items()}
        for key in (
            "pairs_per_s",
            "p50_ms",
            "p99_ms",
            "peak_rss_mib",
            "app_cpu_ms_per_pair",
            "node_cpu_ms_per_pair",
        )
    }
    if 100 in figures and 10000 in figures:
        ratio = figures[10000]["cost_s_per_pair"] / figures[100]["cost_s_per_pair"]
        report["cost_ratio_10000_vs_100"] = round(ratio, 3)
    report["concurrency"] = concurrency
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--concurrency", type=int, default=8, help="pairs in flight")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument("--profile", type=Path, help="cProfile the requestor into this file")
    parser.add_argument("--tls", action="store_true", help="mutual TLS (default: plaintext)")
    args = parser.parse_args()
    global USE_TLS
    USE_TLS = args.tls
    if args.profile:
        APP_COMMAND[1:1] = ["-m", "cProfile", "-o", str(args.profile)]
    report = asyncio.run(run(args.parts, args.concurrency))
    if args.json:
        print(json.dumps(report))
        return
    print(f"{'parts':>7} {'pairs/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'peak RSS MiB':>13}")
    for size in args.parts:
        print(
            f"{size:>7} {report['pairs_per_s'][size]:>9.0f} {report['p50_ms'][size]:>8.2f}"
            f" {report['p99_ms'][size]:>8.2f} {report['peak_rss_mib'][size]:>13.1f}"
        )
    if "cost_ratio_10000_vs_100" in report:
        print(f"per-pair cost at 10,000 parts / at 100: {report['cost_ratio_10000_vs_100']:.2f}")


if __name__ == "__main__":
    main()
