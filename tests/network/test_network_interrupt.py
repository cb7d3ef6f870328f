"""Ctrl-C: everything stops, nothing is left behind, the task can be inspected."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from network_helpers import (
    TUTORIAL_APP,
    alive,
    descendants,
    env,
    processes_mentioning,
    tutorial_app,
)


def _wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_sigint_stops_everything_and_leaves_a_resumable_task(
    input_file: Path, tmp_path: Path
) -> None:
    root = tmp_path / "work"
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("w") as stderr:
        # Its own session, like a shell job: the signal goes to the group, as Ctrl-C does.
        process = subprocess.Popen(
            [*TUTORIAL_APP, "run", str(input_file), "--difficulty", "12", "--subtasks", "40",
             "--providers", "2", "--work-root", str(root), "--out", str(tmp_path / "out")],
            stdout=subprocess.DEVNULL, stderr=stderr, stdin=subprocess.DEVNULL,
            env=env(), start_new_session=True,
        )  # fmt: skip
    seen: set[int] = set()
    try:

        def one_verified_and_providers_running() -> bool:
            seen.update(descendants(process.pid))
            text = stderr_path.read_text()
            return "verified (" in text and len(descendants(process.pid)) >= 2

        _wait_for(one_verified_and_providers_running, 30, "a verified subtask")
        seen.update(descendants(process.pid))
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=20) == 130
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert len(seen) >= 2  # the requestor and at least one provider were running
    assert [pid for pid in seen if alive(pid)] == []
    assert processes_mentioning(str(root)) == []
    assert "interrupted" in stderr_path.read_text()

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
    assert {p.name: p.read_bytes() for p in task_dir.iterdir() if p.is_file()} == before

    table = tutorial_app("status", task_dir)
    assert table.returncode == 0
    assert "not finished" in table.stdout
    assert f"{totals['done']}/40 parts done" in table.stdout
