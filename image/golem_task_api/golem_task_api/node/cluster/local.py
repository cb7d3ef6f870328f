"""`--cluster local:N`: a scheduler and N workers on this machine, with Dask's own CLIs.

Mutual TLS with throwaway certificates, everything on 127.0.0.1, each worker
in its own directory; a worker runs one attempt at a time per thread, so
`threads` workers' slots make `--providers`. The scheduler runs Dask's tasks
at most once (`allowed-failures` 0): an attempt whose worker died fails at
once instead of being run again elsewhere. Stopped (and its files removed)
at the end of the run, whatever happens.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from golem_task_api.node.cluster.certs import ClusterCerts, throwaway

#: How long the scheduler and the workers may take to come up.
START_TIMEOUT = 60.0
STOP_GRACE = 5.0
#: The local cluster's Dask settings. Tasks run at most once. The rest is CPU
#: the scheduler and workers spend by the clock, not per task, taken from the
#: same cores the providers hash on (measured by `benchmarks/cluster_run.py`):
#: no statistical profiler (a sample every 10 ms), event-loop health checks
#: every second instead of 20 ms, the system monitor every 2 s instead of 0.5.
QUIET_DASK = {
    "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",
    "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
    "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "1s",
    "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "2s",
}


#: Dask serves health and metrics over HTTP even with `--no-dashboard`, on every
#: interface unless told: here on loopback, like everything else of the cluster.
LOOPBACK_HTTP = ("--dashboard-address", "127.0.0.1:0")


def dask_command() -> str:
    """Dask's own CLI, `dask`, installed beside this interpreter (or on PATH)."""
    beside = Path(sys.executable).parent / "dask"
    if beside.is_file():
        return str(beside)
    found = shutil.which("dask")
    if found is None:
        raise LocalClusterError("the 'dask' command is not installed (pip install distributed)")
    return found


class LocalClusterError(Exception):
    """The local scheduler or a worker did not come up; the message says which and why."""


@dataclass
class LocalCluster:
    workers: int
    threads: int = 1
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="golem-cluster-")))
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    address: str = ""

    @property
    def certs_dir(self) -> Path:
        return self.root / "certs"

    def start(self) -> ClusterCerts:
        """Start the scheduler, then the workers (not waited for: the client does)."""
        certs = throwaway(self.certs_dir)
        scheduler_file = self.root / "scheduler.json"
        # Dask's scratch space (and its lock files) inside ours, removed with it.
        env = {**os.environ, **QUIET_DASK, "DASK_TEMPORARY_DIRECTORY": str(self.root)}
        self._spawn(
            [
                "scheduler",
                "--protocol",
                "tls",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                *LOOPBACK_HTTP,
                "--scheduler-file",
                str(scheduler_file),
                *certs.cli_args(),
            ],
            "scheduler",
            env,
        )
        self.address = self._wait_for(scheduler_file)
        for n in range(self.workers):
            directory = self.root / f"worker-{n}"
            directory.mkdir()
            self._spawn(
                [
                    "worker",
                    self.address,
                    "--name",
                    f"local-{n}",
                    "--nthreads",
                    str(self.threads),
                    "--no-nanny",
                    "--no-dashboard",
                    *LOOPBACK_HTTP,
                    "--host",
                    "127.0.0.1",
                    "--local-directory",
                    str(directory),
                    *certs.cli_args(),
                ],
                f"worker-{n}",
                env,
            )
        return certs

    def _spawn(self, args: list[str], name: str, env: dict[str, str]) -> None:
        log = (self.root / f"{name}.log").open("wb")
        with log:
            process = subprocess.Popen(
                [dask_command(), *args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self.processes.append(process)

    def _wait_for(self, scheduler_file: Path) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        scheduler = self.processes[0]
        while time.monotonic() < deadline:
            if scheduler.poll() is not None:
                log = (self.root / "scheduler.log").read_text(errors="replace").strip()
                last = log.splitlines()[-1] if log else "no output"
                raise LocalClusterError(f"the local Dask scheduler exited: {last}")
            with contextlib.suppress(OSError, ValueError):
                address = json.loads(scheduler_file.read_text())["address"]
                if isinstance(address, str) and address:
                    return address
            time.sleep(0.05)
        raise LocalClusterError(f"the local Dask scheduler did not start in {START_TIMEOUT:g} s")

    def stop(self) -> None:
        """Workers first, then the scheduler: SIGTERM each group, SIGKILL after a grace."""
        for process in reversed(self.processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for process in reversed(self.processes):
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()
        shutil.rmtree(self.root, ignore_errors=True)
