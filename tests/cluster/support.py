"""A real Dask cluster for the tests: `dask scheduler` and `dask worker` processes.

Each worker runs in its own mount and PID namespace (`unshare`) in which the
node's directory is hidden under an empty tmpfs, so anything that leans on a
shared file system fails loudly; killing a worker's `unshare` kills its whole
namespace (the worker and every provider it started), as a machine dying would.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from golem_task_api.node.cluster.certs import ClusterCerts, throwaway
from golem_task_api.node.cluster.local import LOOPBACK_HTTP
from golem_task_api.node.network import scratch
from golem_task_api.node.ports import free_port

DASK = str(Path(sys.executable).parent / "dask")
TUTORIAL_APP = str(Path(sys.executable).parent / "tutorial-app")
GOLEM_TASK_API = str(Path(sys.executable).parent / "golem-task-api")
#: The tutorial app's sources (an editable install): hidden on a worker that "lacks" the app.
APP_SOURCES = Path(__import__("tutorial_app").__file__).parent


def can_unshare() -> bool:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(
        ["unshare", "--mount", "--pid", "--fork", "--mount-proc", "true"], capture_output=True
    )
    return probe.returncode == 0


@dataclass
class DaskCluster:
    root: Path
    hidden: Path
    certs: ClusterCerts
    port: int = field(default_factory=free_port)
    scheduler: subprocess.Popen[bytes] | None = None
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"tls://127.0.0.1:{self.port}"

    def cert_args(self) -> list[str]:
        return [
            "--cluster-ca",
            str(self.certs.ca),
            "--cluster-cert",
            str(self.certs.cert),
            "--cluster-key",
            str(self.certs.key),
        ]

    def _log(self, name: str) -> object:
        return (self.root / f"{name}.log").open("ab")

    def start_scheduler(self) -> None:
        args = [DASK, "scheduler", "--protocol", "tls", "--host", "127.0.0.1"]
        args += ["--port", str(self.port), "--no-dashboard", *LOOPBACK_HTTP]
        args += self.certs.cli_args()
        with self._log("scheduler") as log:
            self.scheduler = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def start_worker(
        self,
        name: str,
        hide: tuple[Path, ...] = (),
        isolated: bool = True,
        env: dict[str, str] | None = None,
    ) -> None:
        """A worker in its own namespaces (the node's dir hidden), or, not `isolated`,
        a plain process whose death no namespace cleans up after."""
        directory = self.root / name
        directory.mkdir(exist_ok=True)
        worker = [DASK, "worker", self.address, "--name", name, "--nthreads", "1"]
        worker += ["--no-nanny", "--no-dashboard", *LOOPBACK_HTTP, "--host", "127.0.0.1"]
        worker += ["--local-directory", str(directory), *self.certs.cli_args()]
        mounts = "".join(
            f"mount -t tmpfs -o size=1m tmpfs {shlex.quote(str(path))} && "
            for path in (self.hidden, *hide)
        )
        script = f"{mounts}exec {shlex.join(worker)}"
        args = ["unshare", "--mount", "--propagation", "private", "--pid", "--fork"]
        args += ["--kill-child", "--mount-proc", "sh", "-c", script]
        if not isolated:
            args = worker
        with self._log(name) as log:
            self.workers[name] = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=None if env is None else {**os.environ, **env},
            )

    def wait_for_workers(self, count: int, timeout: float = 30.0) -> None:
        from distributed import Client

        with Client(self.address, security=self.certs.security(), timeout=timeout) as client:
            client.wait_for_workers(count, timeout=timeout)

    def kill_worker(self, name: str) -> None:
        """SIGKILL: the worker and all its namespace's processes die at once."""
        process = self.workers.pop(name)
        process.kill()
        process.wait(10)

    def kill_scheduler(self) -> None:
        assert self.scheduler is not None
        self.scheduler.kill()
        self.scheduler.wait(10)
        self.scheduler = None

    def stop(self) -> None:
        processes = [*self.workers.values()]
        if self.scheduler is not None:
            processes.append(self.scheduler)
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        self.workers.clear()
        self.scheduler = None
        sweep_provider_dirs()


def sweep_provider_dirs() -> None:
    """Killed workers leave their in-memory provider dirs for the next run's sweep: do it
    now, so `providers_running` sees only this cluster's."""
    memory = scratch.memory_dir()
    if memory is not None:
        scratch.sweep(memory)


def make_cluster(tmp_path: Path, workers: int = 2) -> DaskCluster:
    sweep_provider_dirs()
    node = tmp_path / "node"
    node.mkdir(exist_ok=True)
    cluster = DaskCluster(tmp_path / "cluster", node, throwaway(tmp_path / "certs"))
    cluster.root.mkdir()
    cluster.start_scheduler()
    return cluster


def run_cli(
    args: list[str], timeout: float = 90.0, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kwargs
    )  # type: ignore[call-overload,no-any-return]


def manifest_results(out: Path) -> list[dict[str, object]]:
    """The result lines of an --out manifest (the first line describes the task)."""
    manifests = list(out.glob("*manifest*"))
    assert len(manifests) == 1, manifests
    lines = [json.loads(line) for line in manifests[0].read_text().splitlines() if line.strip()]
    return lines[1:]


def ledger(work_root: Path) -> list[dict[str, object]]:
    path = work_root / "subtasks.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def leftovers(marker: str) -> list[str]:
    """Processes still running whose command line mentions `marker`."""
    import psutil

    found = []
    for process in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if marker in " ".join(process.info["cmdline"] or []):
                found.append(f"{process.pid}: {' '.join(process.info['cmdline'])}")
    return found


def wait_until(predicate: object, timeout: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(step)
    return False


def tutorial_run(cluster: DaskCluster, node: Path, *extra: str) -> list[str]:
    return [
        TUTORIAL_APP,
        "run",
        str(node / "input.txt"),
        "--cluster",
        cluster.address,
        *cluster.cert_args(),
        "--work-root",
        str(node / "work"),
        "--out",
        str(node / "out"),
        *extra,
    ]


def assert_verified_once(node: Path, subtasks: int) -> None:
    """App state, ledger and manifest agree: each part verified exactly once."""
    task = status(node)
    parts = task["parts"]
    assert isinstance(parts, list) and len(parts) == subtasks
    assert all(part["status"] == "done" for part in parts), parts
    results = manifest_results(node / "out")
    task_id = task["task_id"]
    assert sorted(r["file"] for r in results) == sorted(
        f"{task_id}-{part['subtask_id']}.zip" for part in parts
    )
    verified = [e["subtask_id"] for e in ledger(node / "work") if e.get("state") == "verified"]
    assert sorted(verified) == sorted(part["subtask_id"] for part in parts)
    check = run_cli([TUTORIAL_APP, "check", str(node / "out")])
    assert check.returncode == 0, check.stdout + check.stderr


def status(node: Path) -> dict[str, object]:
    done = run_cli([TUTORIAL_APP, "status", str(node / "work"), "--json"])
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["tasks"][0]  # type: ignore[no-any-return]


def providers_running(cluster: DaskCluster, worker: str) -> bool:
    """An attempt's inputs are in a provider dir on `worker` (providers started ahead
    have none): an attempt is between its start and its result."""
    memory = scratch.memory_dir()
    places = list((cluster.root / worker).rglob("providers"))
    if memory is not None:
        places += memory.glob(f"{scratch.PREFIX}{worker}-*")
    return any(path.is_file() for found in places for path in found.glob("*/subtask_inputs/*"))


def stop_leaving_nothing(cluster: DaskCluster, tmp_path: Path) -> None:
    """Stop the cluster; no process mentioning the test's dir may outlive it."""
    cluster.stop()
    assert wait_until(lambda: not leftovers(str(tmp_path)), 10), leftovers(str(tmp_path))


def the_one_failed_attempt(done: subprocess.CompletedProcess[str]) -> str:
    """The run (`--json`) finished with exactly one failed attempt: its stderr line."""
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "finished" and report["failed_attempts"] == 1
    failures = [line for line in done.stderr.splitlines() if "failed on" in line]
    assert len(failures) == 1, done.stderr
    return failures[0]
