"""How fast one requestor serves NextSubtask + Verify pairs as tasks grow, and how
close that is to the ceiling: an empty `grpc.aio` server driven the same way.

The app runs as a real process over loopback gRPC; this script plays the
node and the providers. Results are precomputed at difficulty 0 (nonce 0
is always valid) from the parts' salts in the task's state, so only the
requestor's work is timed: each pair is NextSubtask, a lookup of the
prepared result zip by the input the requestor wrote, a file write (what a
node's copy does), and Verify. Every acknowledged change is durable: the
app fsyncs its journal before each reply (`fsync_probe` counts and times
every fsync, so the report says what durability costs per pair).

The ceiling (`empty_requestor.py`) gets the same client, calls, pairs in
flight and node-side file work, but answers with canned replies. Each
round measures half the ceiling's pairs, the requestor, then the other
half, so the ratio is taken side by side; the report gives the median and
range over rounds.

    .venv/bin/python benchmarks/requestor_load.py [--parts 100 1000 10000] [--rounds 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import itertools
import json
import os
import shutil
import signal
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

HERE = Path(__file__).resolve().parent
APP_COMMAND = [sys.executable, str(HERE / "fsync_probe.py")]
EMPTY_COMMAND = [sys.executable, str(HERE / "empty_requestor.py")]
INPUT_TEXT = "Golem requestor load benchmark.\n" * 4
#: Mutual TLS between the "node" and the requestor (--tls); plaintext by default.
USE_TLS = False
#: Where `py-spy record` writes the app's folded stacks (--py-spy); not profiled by default.
PY_SPY_OUT: Path | None = None
PY_SPY_FLAGS = os.environ.get("PY_SPY_FLAGS", "--nonblocking --gil").split()
_ids = itertools.count()


def new_id(prefix: str = "s") -> str:
    return f"{prefix}{next(_ids):08d}"


def result_zip(part_input: str) -> bytes:
    """A provider's result at difficulty 0: nonce 0 is valid for any input."""
    return zips.zip_bytes(zips.RESULT_MEMBER, pow.Proof(pow.hash_hex(part_input, 0), 0).to_line())


def read_input(task_dir: RequestorTaskDir, resource: str) -> str:
    with zipfile.ZipFile(task_dir.subtask_inputs_dir / resource) as archive:
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
    command: list[str] = field(default_factory=lambda: APP_COMMAND)
    service: ProcessTaskApiService = field(init=False)
    client: RequestorAppClient = field(init=False)

    async def start(self) -> Requestor:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        if USE_TLS:
            from golem_task_api.node.certs import write_tls_files

            write_tls_files(self.work_dir)
        env = dict(os.environ, FSYNC_PROBE_OUT=str(self.probe_file))
        self.service = ProcessTaskApiService(self.work_dir, self.command, env, stop_grace=3.0)
        self.client = await RequestorAppClient.create(self.service, free_port())
        return self

    @property
    def pid(self) -> int:
        assert self.service.pid is not None
        return self.service.pid

    @property
    def probe_file(self) -> Path:
        return self.work_dir.with_name(self.work_dir.name + ".fsyncs.json")

    def fsyncs(self) -> dict[str, float] | None:
        """What `fsync_probe` counted (after `stop`); None if the app left no count."""
        try:
            return dict(json.loads(self.probe_file.read_text()))
        except (OSError, ValueError):
            return None

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
    budget: list[int],
) -> None:
    """Pairs until the task has nothing pending (or `budget[0]` pairs are spent)."""
    task_id = task_dir.name
    while budget[0] > 0:
        budget[0] -= 1
        sid = new_id()
        started = time.perf_counter()
        subtask = await client.next_subtask(task_id, sid, "bench-node")
        if subtask is None:
            return
        put_result(task_dir, sid, results[read_input(task_dir, subtask.resources[0])])
        verdict, reason = await client.verify(task_id, sid)
        latencies.append(time.perf_counter() - started)
        if verdict is not VerifyResult.SUCCESS:
            raise RuntimeError(f"subtask {sid} rejected: {reason}")


async def drive(
    requestor: Requestor, results: dict[str, bytes], pairs: int, concurrency: int
) -> dict[str, float]:
    """`pairs` pairs, `concurrency` in flight: rate, latency and CPU of both sides."""
    task_dir = requestor.task_dir("load")
    latencies: list[float] = []
    budget = [pairs + concurrency]  # a real task ends each pipeline with a None reply
    app_cpu, node_cpu = cpu_seconds(requestor.pid), time.process_time()
    started = time.perf_counter()
    await asyncio.gather(
        *(
            pipeline(requestor.client, task_dir, results, latencies, budget)
            for _ in range(concurrency)
        )
    )
    elapsed = time.perf_counter() - started
    app_cpu = cpu_seconds(requestor.pid) - app_cpu
    node_cpu = time.process_time() - node_cpu
    if len(latencies) < pairs:
        raise RuntimeError(f"{pairs} pairs asked but {len(latencies)} done")
    done = len(latencies)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "pairs_per_s": done / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": cuts[98] * 1000,
        "peak_rss_mib": rss_peak_mib(requestor.pid),
        "cost_s_per_pair": elapsed / done,
        "app_cpu_ms_per_pair": app_cpu * 1000 / done,
        "node_cpu_ms_per_pair": node_cpu * 1000 / done,
    }


async def start_py_spy(pid: int) -> asyncio.subprocess.Process | None:
    """`py-spy record` on the app (its raw folded stacks into PY_SPY_OUT), if asked."""
    if PY_SPY_OUT is None:
        return None
    spy = await asyncio.create_subprocess_exec(
        "py-spy", "record", "--pid", str(pid), "--format", "raw", "--rate", "250",
        *PY_SPY_FLAGS, "-o", str(PY_SPY_OUT), stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await asyncio.sleep(1.0)  # attached
    return spy


async def stop_py_spy(spy: asyncio.subprocess.Process | None) -> None:
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        await spy.wait()


#: Dirs of finished measurements, removed when the whole run ends: on ext4 a file
#: created within ~30 s of mass deletions pays a scan past the freed inodes, so
#: removing one measurement's 20,000 files just before the next would tax that one.
_SPENT: list[Path] = []


def kept_until_the_end(prefix: str) -> Path:
    """A fresh temporary dir, removed by `remove_spent` when the process exits."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    _SPENT.append(tmp)
    return tmp


@atexit.register  # whoever measured (this script, `local_run.py`), at its exit
def remove_spent() -> None:
    while _SPENT:
        shutil.rmtree(_SPENT.pop(), ignore_errors=True)


def file_create_us(directory: Path, count: int = 300) -> float:
    """Microseconds per small-file create (and write, close) in `directory`, now.

    What a create costs depends on the disk's recent past: a journal-less ext4
    (this project's VMs) skips inodes freed in the last 1-5 minutes while it
    looks for a free one, so after a mass deletion near `directory` (an earlier
    run's clean-up, a test suite) a create costs up to 25 times more. The
    requestor makes 2 files per pair and the ceiling none, so the ratio is only
    comparable between runs whose figure here is alike. The files stay until
    the end (removing them now would tax what follows).
    """
    probe = directory / "create-probe"
    probe.mkdir()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    started = time.perf_counter()
    for n in range(count):
        fd = os.open(probe / f"{n}.zip", flags, 0o644)
        os.write(fd, b"\0" * 300)
        os.close(fd)
    return (time.perf_counter() - started) * 1e6 / count


async def measure(parts: int, concurrency: int) -> dict[str, float]:
    """The requestor on a task of `parts` parts, every part verified."""
    tmp = kept_until_the_end("requestor-load-")
    create_us = file_create_us(tmp)
    requestor = await Requestor(tmp / "work").start()
    try:
        results = await requestor.create_task("load", parts)
        spy = await start_py_spy(requestor.pid)
        figures = await drive(requestor, results, parts, concurrency)
        await stop_py_spy(spy)
        outputs = requestor.task_dir("load").task_outputs_dir
        done = len(list(outputs.iterdir()))
    finally:
        await requestor.stop()
    await requestor.service.wait_until_shutdown_complete(10.0)
    fsyncs = requestor.fsyncs()
    if done != parts:
        raise RuntimeError(f"{parts} parts but {done} outputs")
    figures["file_create_us"] = create_us
    if fsyncs is not None:
        figures["fsyncs_per_pair"] = fsyncs["fsyncs"] / parts
        figures["fsync_ms_per_pair"] = fsyncs["fsync_seconds"] * 1000 / parts
    return figures


async def measure_ceiling(pairs: int, concurrency: int) -> dict[str, float]:
    """An empty `grpc.aio` server (`empty_requestor.py`) driven the same way."""
    tmp = kept_until_the_end("requestor-ceiling-")
    requestor = await Requestor(tmp / "work", EMPTY_COMMAND).start()
    try:
        task_dir = requestor.task_dir("load")
        task_dir.prepare()
        text = INPUT_TEXT + "0" * 32  # a part's input: the text and a salt
        zips.write_zip(task_dir.subtask_inputs_dir / "empty.zip", zips.INPUT_MEMBER, text)
        return await drive(requestor, {text: result_zip(text)}, pairs, concurrency)
    finally:
        await requestor.stop()


FIGURES = (
    "pairs_per_s",
    "ceiling_pairs_per_s",
    "ratio_to_ceiling",
    "p50_ms",
    "p99_ms",
    "peak_rss_mib",
    "app_cpu_ms_per_pair",
    "ceiling_app_cpu_ms_per_pair",
    "node_cpu_ms_per_pair",
    "fsyncs_per_pair",
    "fsync_ms_per_pair",
    "file_create_us",
)


async def one_round(size: int, concurrency: int, ceiling: bool) -> dict[str, float]:
    """The requestor between two halves of the ceiling (a shared machine's load drifts)."""
    halves = [await measure_ceiling(max(size // 2, 50), concurrency)] if ceiling else []
    figures = await measure(size, concurrency)
    figures["cost_s_per_pair"] = 1 / figures["pairs_per_s"]
    if ceiling:
        halves.append(await measure_ceiling(max(size // 2, 50), concurrency))
        rate = 2 / sum(1 / half["pairs_per_s"] for half in halves)  # pairs over time
        figures["ceiling_pairs_per_s"] = rate
        figures["ceiling_app_cpu_ms_per_pair"] = statistics.mean(
            half["app_cpu_ms_per_pair"] for half in halves
        )
        figures["ratio_to_ceiling"] = figures["pairs_per_s"] / rate
    return figures


async def run(
    sizes: list[int], concurrency: int, rounds: int = 1, ceiling: bool = True
) -> dict[str, Any]:
    """Every size each round (the requestor, then the empty server); medians and ranges."""
    samples: dict[int, list[dict[str, float]]] = {size: [] for size in sizes}
    for _ in range(rounds):
        for size in sizes:
            samples[size].append(await one_round(size, concurrency, ceiling))
    report: dict[str, Any] = {}
    for key in (*FIGURES, "cost_s_per_pair"):
        values = {size: [f[key] for f in samples[size] if key in f] for size in sizes}
        if not all(values.values()):
            continue
        report[key] = {size: round(statistics.median(v), 3) for size, v in values.items()}
        report[f"{key}_range"] = {
            size: [round(min(v), 3), round(max(v), 3)] for size, v in values.items()
        }
    cost = report.pop("cost_s_per_pair")
    report.pop("cost_s_per_pair_range")
    if 100 in cost and 10000 in cost:
        report["cost_ratio_10000_vs_100"] = round(cost[10000] / cost[100], 3)
    report["concurrency"] = concurrency
    report["rounds"] = rounds
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--concurrency", type=int, default=8, help="pairs in flight")
    parser.add_argument("--rounds", type=int, default=1, help="repeat, for median and range")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the empty server")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument("--profile", type=Path, help="cProfile the requestor into this file")
    parser.add_argument("--py-spy", type=Path, help="py-spy the requestor (raw folded stacks)")
    parser.add_argument("--tls", action="store_true", help="mutual TLS (default: plaintext)")
    args = parser.parse_args()
    if args.tls and not args.no_ceiling:  # the requestor serves TLS on grpclib, see STACKS
        parser.error(
            "--tls measures the requestor alone: add --no-ceiling (the empty server "
            "is a plaintext grpc.aio server; a TLS ceiling would compare two stacks)"
        )
    global USE_TLS, PY_SPY_OUT
    USE_TLS, PY_SPY_OUT = args.tls, args.py_spy
    if args.profile:
        APP_COMMAND[1:1] = ["-m", "cProfile", "-o", str(args.profile)]
    report = asyncio.run(run(args.parts, args.concurrency, args.rounds, not args.no_ceiling))
    if args.json:
        print(json.dumps(report))
        return
    print(f"{args.rounds} round(s), {args.concurrency} pairs in flight; median [min-max]")
    for key in FIGURES:
        if key not in report:
            continue
        for size in args.parts:
            low, high = report[f"{key}_range"][size]
            print(f"{key:<28} {size:>7} {report[key][size]:>10.3f}  [{low:.3f}-{high:.3f}]")
    if "cost_ratio_10000_vs_100" in report:
        print(f"per-pair cost at 10,000 parts / at 100: {report['cost_ratio_10000_vs_100']:.2f}")


if __name__ == "__main__":
    main()
