"""Faults on a real TLS Dask cluster: each ends in a clear outcome, nothing lost or doubled."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from golem_task_api.node.cluster.certs import throwaway
from golem_task_api.node.ports import free_port

from tests.cluster.support import (
    APP_SOURCES,
    GOLEM_TASK_API,
    TUTORIAL_APP,
    DaskCluster,
    assert_verified_once,
    manifest_results,
    providers_running,
    run_cli,
    the_one_failed_attempt,
    tutorial_run,
    wait_until,
)


@pytest.mark.timeout(240)
def test_worker_killed_mid_compute_fails_over(cluster: DaskCluster, node: Path) -> None:
    args = tutorial_run(cluster, node, "--difficulty", "26", "--subtasks", "4", "--providers", "2")
    with subprocess.Popen(
        [*args, "-v"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as run:
        try:
            assert wait_until(lambda: providers_running(cluster, "w-0"), 60)
            time.sleep(0.2)  # into Compute: a d=26 proof mostly takes a second or more
            # A proof found early ends its attempt: then the next one on w-0 is killed.
            assert wait_until(lambda: providers_running(cluster, "w-0"), 60)
            cluster.kill_worker("w-0")
            _, stderr = run.communicate(timeout=150)
        finally:
            run.kill()
    assert run.returncode == 0, stderr
    assert "failed on provider-" in stderr, stderr
    assert "w-0" in stderr.split("failed on provider-")[1].splitlines()[0]
    assert_verified_once(node, 4)


@pytest.mark.timeout(90)
def test_worker_without_the_app_is_one_clear_failed_attempt(
    bare_cluster: DaskCluster, node: Path
) -> None:
    bare_cluster.start_worker("w-0")
    bare_cluster.start_worker("w-1", hide=(APP_SOURCES,))  # tutorial_app not on this machine
    bare_cluster.wait_for_workers(2)
    args = tutorial_run(bare_cluster, node, "--difficulty", "16", "--subtasks", "8")
    failure = the_one_failed_attempt(run_cli([*args, "--providers", "2", "--json"]))
    assert "app missing on worker w-1" in failure
    assert "tutorial_app.entrypoint is not installed" in failure
    assert_verified_once(node, 8)


@pytest.mark.timeout(60)
def test_unreachable_scheduler_is_exit_2_before_any_app(node: Path, tmp_path: Path) -> None:
    certs = throwaway(tmp_path / "certs")
    args = [TUTORIAL_APP, "run", str(node / "input.txt"), "--work-root", str(node / "work")]
    args += ["--cluster", f"tls://127.0.0.1:{free_port()}", "--cluster-timeout", "2"]
    args += ["--cluster-ca", str(certs.ca), "--cluster-cert", str(certs.cert)]
    done = run_cli([*args, "--cluster-key", str(certs.key), "--out", str(node / "out")])
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tutorial-app: error: cannot reach"), lines
    assert not (node / "work").exists()  # no app started, nothing saved


@pytest.mark.parametrize("cli", ["tutorial-app", "golem-task-api"])
def test_an_unusable_out_is_exit_2_before_a_cluster_is_started(
    cli: str, node: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "someone-elses.zip").write_bytes(b"kept")
    if cli == "tutorial-app":
        args = [TUTORIAL_APP, "run", str(node / "input.txt")]
    else:
        args = [str(Path(TUTORIAL_APP).with_name("golem-task-api")), "run"]
        args += ["--app", f"{sys.executable} -m tutorial_app.entrypoint"]
        args += ["--params", '{"difficulty": 4}', "--input", str(node / "input.txt")]
    args += ["--work-root", str(node / "work"), "--out", str(out), "--cluster", "local:2"]
    done = run_cli(args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "already holds 1 other file" in lines[0], lines
    assert not (node / "work").exists()
    assert (out / "someone-elses.zip").read_bytes() == b"kept"


@pytest.mark.timeout(60)
def test_foreign_ca_is_refused_by_the_scheduler(
    cluster: DaskCluster, node: Path, tmp_path: Path
) -> None:
    from distributed import Client

    foreign = throwaway(tmp_path / "foreign")
    with pytest.raises((OSError, TimeoutError)):
        Client(cluster.address, security=foreign.security(), timeout=2).close()

    def refusal_logged() -> bool:  # the scheduler says why it dropped the handshake
        log = (cluster.root / "scheduler.log").read_text().lower()
        return "certificate" in log or "ssl" in log

    assert wait_until(refusal_logged, 10)

    args = [TUTORIAL_APP, "run", str(node / "input.txt"), "--work-root", str(node / "work")]
    args += ["--cluster", cluster.address, "--cluster-timeout", "2", "--out", str(node / "out")]
    args += ["--cluster-ca", str(foreign.ca), "--cluster-cert", str(foreign.cert)]
    done = run_cli([*args, "--cluster-key", str(foreign.key)])
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tutorial-app: error: "), lines
    assert not (node / "work").exists()


@pytest.mark.timeout(150)
def test_scheduler_lost_mid_run_stops_like_an_interruption_and_resumes(
    cluster: DaskCluster, node: Path
) -> None:
    args = tutorial_run(cluster, node, "--difficulty", "22", "--subtasks", "20", "--providers", "2")
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as run:
        try:
            assert wait_until(lambda: len(list((node / "out").glob("*.zip"))) >= 3, 60)
            cluster.kill_scheduler()
            _, stderr = run.communicate(timeout=60)
        finally:
            run.kill()
    assert run.returncode == 130, stderr
    assert "lost the cluster scheduler" in stderr
    assert f"resume with: tutorial-app resume {node / 'work'}" in stderr
    assert (node / "work" / "run.json").is_file()

    for name in list(cluster.workers):  # a scheduler back at the same address, fresh workers
        cluster.kill_worker(name)
    cluster.start_scheduler()
    cluster.start_worker("w-2")
    cluster.start_worker("w-3")
    cluster.wait_for_workers(2)
    done = run_cli([TUTORIAL_APP, "resume", str(node / "work")], timeout=120)
    assert done.returncode == 0, done.stderr
    assert_verified_once(node, 20)


@pytest.mark.timeout(60)
def test_oversized_result_is_refused_on_the_worker(cluster: DaskCluster, node: Path) -> None:
    args = [GOLEM_TASK_API, "run", "--app", "python -m tutorial_app.entrypoint"]
    args += ["--input", str(node / "input.txt"), "--params", '{"difficulty": 8}']
    args += ["--cluster", cluster.address, *cluster.cert_args(), "--max-result-bytes", "64"]
    args += ["--work-root", str(node / "work"), "--out", str(node / "out")]
    done = run_cli([*args, "--subtasks", "2", "--max-retries", "1", "--json"])
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "failed" and report["failed_attempts"] == 2
    assert "over the app's limit of 64; refused on the worker" in report["error"]
    assert "on worker w-" in report["error"]
    outputs = node / "work" / "requestor" / report["task_id"] / "subtask_outputs"
    assert not any(path.is_file() for path in outputs.rglob("*"))  # nothing was shipped
    assert not (node / "out").exists() or not manifest_results(node / "out")
