"""What a cluster engine costs per short task: Dask distributed vs Ray, side by side.

Each engine runs as 1 scheduler/head + 2 workers on 127.0.0.1 with mutual TLS:
Dask exactly as `--cluster local:2` starts it (`LocalCluster`: `dask scheduler`
and 2 `dask worker --nthreads 1`, `QUIET_DASK`), Ray with `ray start --head
--num-cpus 2` (its 2 worker processes are the workers) and `RAY_USE_TLS=1`
on the same kind of throwaway certificates. A task is shaped like an attempt
minus the provider: 2 KB of bytes in, an optional fixed CPU spin, 200 bytes
out; submitted at most once (`retries=0` / `max_retries=0`) from a
synchronous driver that keeps 2 or 8 in flight.

Per engine and round: start-up (launch until 2 tasks came back at once), tasks/s,
CPU ms per task of the engine's processes (all of them but the driver, and
not the `ray start --block` babysitter) and of the driver, over the measured
interval only (psutil), idle CPU % over `--idle` s with nothing to do, and RSS
and USS of the engine's processes after the runs. Engines alternate (Dask,
Ray, Dask, Ray, ...); the table gives medians and ranges. Ray is optional: not
installed, Dask alone is measured.

    .venv/bin/python benchmarks/engine_overhead.py [--rounds 2] [--tasks 2000] [--spin-ms 0]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import importlib
import itertools
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
from golem_task_api.node.cluster.certs import ClusterCerts, throwaway
from golem_task_api.node.cluster.local import LocalCluster

INPUT_BYTES = 2048
RESULT_BYTES = 200
WARM_UP_TASKS = 200
START_TIMEOUT = 120.0
IN_FLIGHT = (2, 8)
LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def work(data: bytes, spin_s: float) -> bytes:
    """One task: spin `spin_s` of this thread's CPU, return 200 bytes derived from the input."""
    end = time.thread_time() + spin_s
    while time.thread_time() < end:
        pass
    return (hashlib.sha256(data).digest() * 7)[:RESULT_BYTES]


def checked(result: object) -> None:
    if not isinstance(result, bytes) or len(result) != RESULT_BYTES:
        raise SystemExit(f"a task returned {type(result).__name__}, not {RESULT_BYTES} bytes")


class Engine:
    """A local cluster of one engine and a driver connected to it."""

    name = ""

    def start(self) -> None:
        raise NotImplementedError

    def run(self, inputs: list[bytes], in_flight: int, spin_s: float) -> None:
        raise NotImplementedError

    def processes(self) -> list[psutil.Process]:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class DaskEngine(Engine):
    name = "Dask"

    def __init__(self) -> None:
        self.cluster = LocalCluster(workers=2, threads=1)
        self.client: Any = None

    def start(self) -> None:
        distributed: Any = importlib.import_module("distributed")
        certs = self.cluster.start()
        self.client = distributed.Client(
            self.cluster.address,
            security=certs.security(),
            timeout=START_TIMEOUT,
            set_as_default=False,
            direct_to_workers=False,
        )
        self.client.wait_for_workers(2, timeout=START_TIMEOUT)

    def run(self, inputs: list[bytes], in_flight: int, spin_s: float) -> None:
        distributed: Any = importlib.import_module("distributed")
        todo = iter(inputs)

        def submit(data: bytes) -> Any:
            return self.client.submit(work, data, spin_s, pure=False, retries=0)

        done = distributed.as_completed(
            [submit(d) for d in itertools.islice(todo, in_flight)], loop=self.client.loop
        )
        for future in done:
            checked(future.result())
            following = next(todo, None)
            if following is not None:
                done.add(submit(following))

    def processes(self) -> list[psutil.Process]:
        return with_descendants([psutil.Process(p.pid) for p in self.cluster.processes])

    def stop(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.client.close(timeout=10)
        self.cluster.stop()


class RayEngine(Engine):
    """`ray start --head --block` in its own session; the driver joins with `ray.init`."""

    name = "Ray"

    def __init__(self) -> None:
        self.ray: Any = importlib.import_module("ray")
        # Short: Ray's Unix sockets live under it. Ray's default is /tmp/ray.
        self.root = Path(tempfile.mkdtemp(prefix="ray-bench-", dir="/tmp"))
        self.babysitter: subprocess.Popen[bytes] | None = None
        self.seen: list[psutil.Process] = []
        self.task = self.ray.remote(num_cpus=1, max_retries=0)(work)

    def start(self) -> None:
        ray_cli = str(Path(sys.executable).parent / "ray")
        args = [ray_cli, "start", "--head", "--block", "--num-cpus", "2", "--port", "0"]
        args += ["--node-ip-address", "127.0.0.1", "--include-dashboard", "false"]
        args += ["--disable-usage-stats", "--temp-dir", str(self.root)]
        with (self.root / "ray-start.log").open("wb") as log:
            self.babysitter = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        address_file = self.root / "ray_current_cluster"
        deadline = time.monotonic() + START_TIMEOUT
        while not address_file.is_file() or not address_file.read_text().strip():
            if self.babysitter.poll() is not None or time.monotonic() > deadline:
                log_text = (self.root / "ray-start.log").read_text(errors="replace")
                raise SystemExit(f"ray start failed: {log_text.strip().splitlines()[-3:]}")
            time.sleep(0.05)
        self.ray.init(
            address=address_file.read_text().strip(),
            _node_ip_address="127.0.0.1",
            logging_level="WARNING",
            log_to_driver=False,
        )
        while self.ray.cluster_resources().get("CPU", 0) < 2:
            time.sleep(0.05)

    def run(self, inputs: list[bytes], in_flight: int, spin_s: float) -> None:
        todo = iter(inputs)
        pending = [self.task.remote(d, spin_s) for d in itertools.islice(todo, in_flight)]
        while pending:
            done, pending = self.ray.wait(pending, num_returns=1)
            for ref in done:
                checked(self.ray.get(ref))
                following = next(todo, None)
                if following is not None:
                    pending.append(self.task.remote(following, spin_s))

    def processes(self) -> list[psutil.Process]:
        if self.babysitter is None:
            return []
        found = with_descendants([psutil.Process(self.babysitter.pid)])[1:]
        self.seen += [p for p in found if p not in self.seen]
        return found

    def stop(self) -> None:
        """The driver leaves, the babysitter stops the head; stragglers we saw get SIGKILL."""
        with contextlib.suppress(Exception):
            self.ray.shutdown()
        if self.babysitter is not None:
            self.processes()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.babysitter.pid, signal.SIGTERM)
            try:
                self.babysitter.wait(15)
            except subprocess.TimeoutExpired:
                self.babysitter.kill()
                self.babysitter.wait()
            _, alive = psutil.wait_procs(self.seen, timeout=5)
            for process in alive:
                with contextlib.suppress(psutil.Error):
                    process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def with_descendants(roots: list[psutil.Process]) -> list[psutil.Process]:
    found: list[psutil.Process] = []
    for root in roots:
        with contextlib.suppress(psutil.Error):
            found += [root, *root.children(recursive=True)]
    return found


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    """Each process's own user + system CPU seconds (children not included)."""
    seconds: dict[int, float] = {}
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            seconds[process.pid] = times.user + times.system
    return seconds


def spent(engine: Engine, what: Callable[[], None]) -> tuple[float, float, float]:
    """Wall, engine CPU and driver CPU seconds of `what` (new processes count in full)."""
    me = psutil.Process()
    before, driver_before = cpu_seconds(engine.processes()), cpu_seconds([me])[me.pid]
    started = time.perf_counter()
    what()
    wall = time.perf_counter() - started
    after, driver_after = cpu_seconds(engine.processes()), cpu_seconds([me])[me.pid]
    engine_cpu = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
    return wall, engine_cpu, driver_after - driver_before


def exposed(processes: list[psutil.Process]) -> int:
    """Listening sockets of these processes on anything but loopback (should be none)."""
    count = 0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            for conn in process.net_connections(kind="inet"):
                if conn.status == psutil.CONN_LISTEN and conn.laddr.ip not in LOOPBACK:
                    print(f"{process.name()} listens on {conn.laddr}", file=sys.stderr)
                    count += 1
    return count


def memory(processes: list[psutil.Process]) -> tuple[float, float, int]:
    """Summed RSS and USS in MiB, and how many processes."""
    rss = uss = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            info = process.memory_full_info()
            rss, uss = rss + info.rss, uss + info.uss
    return rss / 2**20, uss / 2**20, len(processes)


def measure(engine: Engine, tasks: int, spin_s: float, idle_s: float) -> dict[str, float]:
    figures: dict[str, float] = {}
    started = time.perf_counter()
    try:
        engine.start()
        engine.run([os.urandom(INPUT_BYTES) for _ in range(2)], 2, spin_s)
        figures["start-up s"] = time.perf_counter() - started
        engine.run([os.urandom(INPUT_BYTES) for _ in range(WARM_UP_TASKS)], 8, spin_s)
        for in_flight in IN_FLIGHT:
            inputs = [os.urandom(INPUT_BYTES) for _ in range(tasks)]
            run = functools.partial(engine.run, inputs, in_flight, spin_s)
            wall, cpu, driver = spent(engine, run)
            figures[f"tasks/s, {in_flight} in flight"] = tasks / wall
            figures[f"engine CPU ms/task, {in_flight} in flight"] = cpu / tasks * 1000
            figures[f"driver CPU ms/task, {in_flight} in flight"] = driver / tasks * 1000
        rss, uss, count = memory(engine.processes())
        figures["engine RSS MiB"], figures["engine USS MiB"] = rss, uss
        figures["engine processes"] = count
        figures["listeners not on loopback"] = exposed(engine.processes())
        wall, cpu, driver = spent(engine, lambda: time.sleep(idle_s))
        figures["idle engine CPU %"] = cpu / wall * 100
        figures["idle driver CPU %"] = driver / wall * 100
    finally:
        engine.stop()
    return figures


def engines(certs_dir: Path, skip_ray: bool) -> Iterator[Callable[[], Engine]]:
    yield DaskEngine
    if skip_ray:
        return
    ray_tls(throwaway(certs_dir))
    try:
        importlib.import_module("ray")
    except ImportError as exc:
        print(f"Ray not measured: `import ray` failed ({exc})", file=sys.stderr)
        return
    yield RayEngine


def ray_tls(certs: ClusterCerts) -> None:
    """Ray's settings, in the environment before Ray is imported (it reads some at import).

    Read by the head's processes and by the driver's core worker alike. Without
    RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, Ray replaces 127.0.0.1 by the host's
    outward address, whatever `--node-ip-address` says.
    """
    os.environ.update(
        RAY_USE_TLS="1",
        RAY_TLS_SERVER_CERT=str(certs.cert),
        RAY_TLS_SERVER_KEY=str(certs.key),
        RAY_TLS_CA_CERT=str(certs.ca),
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",
        RAY_USAGE_STATS_ENABLED="0",
    )


def table(results: dict[str, list[dict[str, float]]]) -> str:
    names = list(results)
    rows = [f"{'':40}" + "".join(f"{name + ' median [range]':>30}" for name in names)]
    for key in results[names[0]][0]:
        cells = []
        for name in names:
            values = [run[key] for run in results[name]]
            cells.append(
                f"{statistics.median(values):>12.3g} [{min(values):.3g}-{max(values):.3g}]"
            )
        rows.append(f"{key:40}" + "".join(f"{cell:>30}" for cell in cells))
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tasks", type=int, default=2000, help="per in-flight setting")
    parser.add_argument("--spin-ms", type=float, default=0.0, help="CPU each task spins")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle measured")
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {}
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="engine-bench-") as tmp:
        makers = list(engines(Path(tmp) / "certs", args.no_ray))
        for _ in range(args.rounds):
            for make in makers:
                engine = make()
                figures = measure(engine, args.tasks, args.spin_ms / 1000, args.idle)
                results.setdefault(engine.name, []).append(figures)
                loads.append(os.getloadavg()[0])
                print(f"{engine.name}: {figures}", file=sys.stderr)
    versions = {"Dask": importlib.import_module("distributed").__version__}
    if "Ray" in results:
        versions["Ray"] = importlib.import_module("ray").__version__
    print(f"{args.tasks} tasks of {INPUT_BYTES} B in, {RESULT_BYTES} B out, spin {args.spin_ms} ms")
    print(f"versions {versions}; 1-min load {', '.join(f'{x:.2f}' for x in loads)}")
    print(table(results))


if __name__ == "__main__":
    main()
