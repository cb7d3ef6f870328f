"""`--cluster local:N`: Dask's own scheduler and workers started for one run, on loopback
only, and gone with it."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from tests.cluster.support import TUTORIAL_APP, assert_verified_once, leftovers

LOOPBACK = ("127.0.0.1", "::1")


def dask_listeners(root: int) -> dict[int, list[str]]:
    """pid -> the addresses each Dask process started under `root` listens on."""
    found: dict[int, list[str]] = {}
    try:
        members = psutil.Process(root).children(recursive=True)
    except psutil.Error:
        return found
    for member in members:
        try:
            if "dask" not in " ".join(member.cmdline()[:2]):
                continue
            found[member.pid] = [
                f"{c.laddr.ip}:{c.laddr.port}"
                for c in member.net_connections(kind="inet")
                if c.status == psutil.CONN_LISTEN
            ]
        except psutil.Error:
            continue
    return found


@pytest.mark.timeout(120)
def test_local_cluster_runs_a_task_on_loopback_only_and_leaves_nothing(
    node: Path, tmp_path: Path
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    args = [TUTORIAL_APP, "run", str(node / "input.txt"), "--difficulty", "16"]
    args += ["--subtasks", "20", "--providers", "2", "--cluster", "local:2"]
    args += ["--work-root", str(node / "work"), "--out", str(node / "out")]
    seen: dict[int, list[str]] = {}
    env = {**os.environ, "TMPDIR": str(temp)}
    with subprocess.Popen(args, stderr=subprocess.PIPE, text=True, env=env) as run:
        while run.poll() is None:  # the scheduler and 2 workers, each with its listeners
            for pid, addresses in dask_listeners(run.pid).items():
                if len(addresses) > len(seen.get(pid, [])):
                    seen[pid] = addresses
            time.sleep(0.05)
        stderr = run.stderr.read() if run.stderr else ""
    assert run.returncode == 0, stderr
    assert stderr.startswith("cluster: tls://127.0.0.1:"), stderr
    assert "workers: local-0, local-1" in stderr.splitlines()[0]
    assert len(seen) == 3, seen
    # Each listens for Dask (TLS) and for its HTTP health/metrics: never past loopback.
    assert all(len(addresses) >= 2 for addresses in seen.values()), seen
    outside = [
        a for addresses in seen.values() for a in addresses if a.rsplit(":", 1)[0] not in LOOPBACK
    ]
    assert outside == [], seen
    assert_verified_once(node, 20)
    assert leftovers(str(temp)) == []
    assert list(temp.iterdir()) == []  # the cluster's dir (certificates, logs) removed
