"""A worker SIGKILLed outside any PID namespace leaves no provider or fork server behind."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import psutil
import pytest

from tests.cluster.support import DaskCluster, providers_running, tutorial_run, wait_until


def descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("with_fork_server", [False, True], ids=["worker", "worker+forkserver"])
def test_killed_worker_leaves_no_processes(
    bare_cluster: DaskCluster, node: Path, with_fork_server: bool
) -> None:
    """SIGKILL runs no clean-up: the fork server sees its socket close and kills its
    apps; if it is SIGKILLed too (an OOM kill, `kill -9` of a group), its apps die
    by their parent-death signal."""
    bare_cluster.start_worker("w-0", isolated=False)  # a plain process: nothing reaps for it
    bare_cluster.wait_for_workers(1)
    worker = bare_cluster.workers["w-0"]
    args = tutorial_run(bare_cluster, node, "--difficulty", "30", "--subtasks", "2")
    with subprocess.Popen(
        [*args, "--providers", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as run:
        try:
            # An attempt's inputs are written while its provider may still be forking:
            # wait for the fork server, the provider in Compute and the one started ahead.
            assert wait_until(lambda: providers_running(bare_cluster, "w-0"), 60)
            assert wait_until(lambda: len(descendants(worker.pid)) >= 3, 30)
            started = descendants(worker.pid)
            servers = [p for p in started if "services.forkserver" in " ".join(p.cmdline())]
            assert servers, started
            if with_fork_server:
                for server in servers:
                    server.kill()
            bare_cluster.kill_worker("w-0")
            _, alive = psutil.wait_procs(started, timeout=10)
            assert not alive, [(p.pid, p.cmdline()) for p in alive]
        finally:
            run.send_signal(signal.SIGINT)
            try:
                run.wait(30)
            except subprocess.TimeoutExpired:
                run.kill()
