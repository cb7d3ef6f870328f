"""`--runtime docker` on cluster workers: each attempt the node-exact container, on a worker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.support import (
    TUTORIAL_APP,
    DaskCluster,
    can_unshare,
    make_cluster,
    run_cli,
    stop_leaving_nothing,
    the_one_failed_attempt,
)
from tests.docker.support import docker

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture
def dask(tmp_path: Path, docker_image: str) -> Iterator[DaskCluster]:
    if not can_unshare():  # pragma: no cover - CI and this machine run as root
        pytest.skip("the cluster tests need root and unshare(1)")
    cluster = make_cluster(tmp_path)
    try:
        yield cluster
    finally:
        stop_leaving_nothing(cluster, tmp_path)
        containers = docker("ps", "-aq", "--filter", f"volume={tmp_path / 'cluster'}").stdout
        assert not containers.split(), containers  # a run stops every container it started


def docker_run(dask: DaskCluster, tmp_path: Path, subtasks: int) -> list[str]:
    node = tmp_path / "node"
    (node / "input.txt").write_text("Proofs of work in containers on workers.\n")
    args = [TUTORIAL_APP, "run", str(node / "input.txt"), "--runtime", "docker"]
    args += ["--cluster", dask.address, *dask.cert_args(), "--difficulty", "12"]
    args += ["--work-root", str(node / "work"), "--out", str(node / "out")]
    return [*args, "--subtasks", str(subtasks), "--providers", "2", "--json"]


@pytest.mark.timeout(300)
def test_docker_runtime_on_two_workers(dask: DaskCluster, tmp_path: Path) -> None:
    dask.start_worker("w-0")
    dask.start_worker("w-1")
    dask.wait_for_workers(2)
    done = run_cli(docker_run(dask, tmp_path, 6), timeout=240)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "finished" and report["verified"] == 6
    assert report["failed_attempts"] == 0 and len(report["outputs"]) == 6
    check = run_cli([TUTORIAL_APP, "check", str(tmp_path / "node" / "out")])
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.timeout(300)
def test_worker_whose_docker_lacks_the_image_is_one_clear_failed_attempt(
    dask: DaskCluster, tmp_path: Path
) -> None:
    dask.start_worker("w-0")
    # This worker's docker reaches no engine, so it has no image to start.
    dask.start_worker("w-1", env={"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"})
    dask.wait_for_workers(2)
    failure = the_one_failed_attempt(run_cli(docker_run(dask, tmp_path, 4), timeout=240))
    assert "app missing on worker w-1" in failure
    assert "image golemfactory/tutorialapp:" in failure and "not available" in failure
