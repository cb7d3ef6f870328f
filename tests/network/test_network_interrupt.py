"""Ctrl-C: everything stops, nothing is left behind, the task can be inspected."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from tests.network.support import (
    alive,
    descendants,
    interruptible_run,
    processes_mentioning,
    tutorial_app,
    wait_for,
)


def test_sigint_stops_everything_and_leaves_a_resumable_task(
    input_file: Path, tmp_path: Path
) -> None:
    root = tmp_path / "work"
    stderr_path = tmp_path / "stderr.txt"
    process = interruptible_run(
        stderr_path, "run", input_file, "--difficulty", "12", "--subtasks", "40",
        "--providers", "2", "--work-root", root, "--out", tmp_path / "out", "-v",
    )  # fmt: skip
    seen: set[int] = set()
    try:

        def one_verified_and_providers_running() -> bool:
            seen.update(descendants(process.pid))
            text = stderr_path.read_text()
            return "verified (" in text and len(descendants(process.pid)) >= 2

        wait_for(one_verified_and_providers_running, 60, "a verified subtask")
        seen.update(descendants(process.pid))
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=60) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert len(seen) >= 2  # the requestor and at least one provider were running
    assert [pid for pid in seen if alive(pid)] == []
    assert processes_mentioning(str(root)) == []
    text = stderr_path.read_text()
    assert "interrupted" in text
    assert text.splitlines()[-1] == f"resume with: tutorial-app resume {root}"

    # The task is half done; `status` says so without changing it.
    (task_dir,) = [p for p in (root / "requestor").iterdir() if p.is_dir()]
    before = {p.name: p.read_bytes() for p in task_dir.iterdir() if p.is_file()}
    result = tutorial_app("status", task_dir, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    totals = data["totals"]
    assert data["finished"] is False and data["aborted"] is False
    assert totals["parts"] == 40
    assert 1 <= totals["done"] < 40
    assert totals["done"] + totals["pending"] + totals["in_progress"] + totals["verifying"] == 40
    # No run holds the work root: the parts still in progress had providers that are gone.
    assert totals["interrupted"] == totals["in_progress"] + totals["verifying"]
    assert data["interrupted"] is (totals["interrupted"] > 0)
    assert {p.name: p.read_bytes() for p in task_dir.iterdir() if p.is_file()} == before

    table = tutorial_app("status", task_dir)
    assert table.returncode == 0
    assert f"{totals['done']}/40 parts done" in table.stdout
    assert all(len(line) <= 80 for line in table.stdout.splitlines())
    assert "\x1b" not in table.stdout
