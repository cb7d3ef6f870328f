"""Whole tasks of the tutorial app on a real TLS Dask cluster (`--cluster tls://...`)."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from tests.cluster.support import (
    GOLEM_TASK_API,
    DaskCluster,
    assert_verified_once,
    ledger,
    manifest_results,
    run_cli,
    tutorial_run,
)


@pytest.mark.timeout(90)
def test_whole_task_on_two_workers_that_cannot_see_the_node(
    cluster: DaskCluster, node: Path
) -> None:
    from distributed import Client

    with Client(cluster.address, security=cluster.certs.security()) as client:
        seen = client.run(os.path.exists, str(node / "input.txt"))
    assert list(seen.values()) == [False, False]  # no shared file system

    done = run_cli(
        [
            *tutorial_run(
                cluster, node, "--difficulty", "16", "--subtasks", "24", "--providers", "2"
            ),
            "-v",
        ]
    )
    assert done.returncode == 0, done.stderr
    assert "on w-0 (tls://127.0.0.1:" in done.stderr and "on w-1 (tls://" in done.stderr
    assert "status           finished" in done.stderr
    assert_verified_once(node, 24)


@pytest.mark.timeout(90)
def test_json_report_and_retries_options_on_a_cluster(cluster: DaskCluster, node: Path) -> None:
    done = run_cli(
        [
            *tutorial_run(
                cluster, node, "--difficulty", "16", "--subtasks", "20", "--providers", "3"
            ),
            "--json",
            "--max-retries",
            "0",
            "--subtask-timeout",
            "60",
        ]
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "finished" and report["verified"] == 20
    assert report["failed_attempts"] == 0 and len(report["outputs"]) == 20


@pytest.mark.timeout(90)
def test_golem_task_api_run_on_a_cluster(cluster: DaskCluster, node: Path) -> None:
    """The runtime's own CLI, an app given as a command: a whole task on the workers."""
    args = [GOLEM_TASK_API, "run", "--app", "python -m tutorial_app.entrypoint", "-v"]
    args += ["--input", str(node / "input.txt"), "--params", '{"difficulty": 16}']
    args += ["--cluster", cluster.address, *cluster.cert_args()]
    args += ["--work-root", str(node / "work"), "--out", str(node / "out")]
    done = run_cli([*args, "--subtasks", "20", "--providers", "2"])
    assert done.returncode == 0, done.stderr
    assert "on w-0 (tls://127.0.0.1:" in done.stderr and "on w-1 (tls://" in done.stderr
    verified = [e["subtask_id"] for e in ledger(node / "work") if e.get("state") == "verified"]
    assert len(verified) == len(set(verified)) == 20
    results = manifest_results(node / "out")
    assert len(results) == 20
    outputs = [node / "out" / str(result["file"]) for result in results]
    assert all(zipfile.is_zipfile(path) for path in outputs)  # the provider's result zips
