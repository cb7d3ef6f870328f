"""An interrupted run carries on with `resume`: every part is verified exactly once,
and results already in --out stay."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from golem_task_api.node.network import results, workroot
from tutorial_app.core.state import SubtaskStatus
from tutorial_app.store import store

from tests.network.support import interruptible_run, processes_mentioning, tutorial_app, wait_for

PARTS = 16


def _manifest_lines(out: Path) -> list[dict]:
    (manifest,) = out.glob("*.manifest.jsonl")
    return results.read_manifest(manifest)[1]


def test_sigint_then_resume_verifies_every_part_exactly_once(
    input_file: Path, tmp_path: Path
) -> None:
    root, out = tmp_path / "work", tmp_path / "out"
    stderr_path = tmp_path / "stderr.txt"
    process = interruptible_run(
        stderr_path, "run", input_file, "--difficulty", "12", "--subtasks", PARTS,
        "--providers", "2", "--work-root", root, "--out", out, "--no-tls",
    )  # fmt: skip
    try:
        wait_for(lambda: stderr_path.read_text().count("verified (") >= 2, 60, "two results")
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=30) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert processes_mentioning(str(root)) == []
    before = {line["file"]: (out / line["file"]).read_bytes() for line in _manifest_lines(out)}
    assert 2 <= len(before) < PARTS  # published as verified, kept through the interruption
    assert stderr_path.read_text().splitlines()[-1] == f"resume with: tutorial-app resume {root}"

    resumed = tutorial_app("resume", root, "--json")
    assert resumed.returncode == 0, resumed.stderr
    data = resumed.json()
    assert data["status"] == "finished" and data["verified"] == PARTS

    lines = _manifest_lines(out)
    assert len(lines) == PARTS
    assert len({line["salt"] for line in lines}) == PARTS  # each part exactly once
    assert len({line["subtask_id"] for line in lines}) == PARTS
    for name, content in before.items():  # what was there stays, unchanged
        assert (out / name).read_bytes() == content
    (task_dir,) = workroot.task_dirs(root)
    task, _ = store.read_task(task_dir, cut_torn_tail=False)
    assert task is not None and task.is_finished()
    for index in range(PARTS):
        done = [
            s for s in task.subtasks.values() if s.part == index and s.status is SubtaskStatus.DONE
        ]
        assert len(done) == 1, (index, done)

    check = tutorial_app("check", out)
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"{PARTS}/{PARTS} proofs good, all good" in check.stdout


def test_a_work_root_in_use_is_refused(input_file: Path, tmp_path: Path) -> None:
    root = tmp_path / "work"
    stderr_path = tmp_path / "stderr.txt"
    process = interruptible_run(
        stderr_path, "run", input_file, "--difficulty", "40", "--subtasks", "1",
        "--providers", "1", "--work-root", root, "--out", tmp_path / "out", "--no-tls",
    )  # fmt: skip
    try:
        wait_for(lambda: (root / "run.json").exists(), 60, "the first run to hold the root")
        second = tutorial_app("run", input_file, "--work-root", root, "--out", tmp_path / "o2")
        assert second.returncode == 2
        assert second.stderr.count("\n") == 1
        assert f"work root {root} is in use by another run (pid {process.pid})" in second.stderr
        assert not (tmp_path / "o2").exists()
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)


def test_a_finished_work_root_is_not_reused(input_file: Path, tmp_path: Path) -> None:
    root = tmp_path / "work"
    first = tutorial_app(
        "run", input_file, "--difficulty", "4", "--subtasks", "1",
        "--work-root", root, "--out", tmp_path / "out", "--quiet", "--no-tls",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    again = tutorial_app("run", input_file, "--work-root", root, "--out", tmp_path / "o2")
    assert again.returncode == 2
    assert "already holds task" in again.stderr and again.stderr.count("\n") == 1


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_sigterm_is_an_interruption_too(input_file: Path, tmp_path: Path, signum: int) -> None:
    """SIGTERM, or SIGHUP (the terminal went away), to the run alone (not its group):
    it stops its apps itself."""
    root = tmp_path / "work"
    stderr_path = tmp_path / "stderr.txt"
    process = interruptible_run(
        stderr_path, "run", input_file, "--difficulty", "40", "--subtasks", "1",
        "--providers", "1", "--work-root", root, "--out", tmp_path / "out", "--no-tls",
    )  # fmt: skip
    try:
        # Difficulty 40 needs hours per subtask here: the display warns (from the benchmark).
        warned = "warning: each subtask needs about"
        wait_for(lambda: warned in stderr_path.read_text(), 60, "the long-subtask warning")
        wait_for(lambda: (root / "providers").is_dir(), 60, "a provider to start")
        process.send_signal(signum)
        assert process.wait(timeout=30) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert processes_mentioning(str(root)) == []
    lines = stderr_path.read_text().splitlines()
    assert lines[-1] == f"resume with: tutorial-app resume {root}"
    assert lines[-2].startswith("interrupted: 0 of 1 subtasks verified;")
