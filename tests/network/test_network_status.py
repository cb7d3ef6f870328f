"""`tutorial-app status` on a finished task."""

from __future__ import annotations

from pathlib import Path

from network_helpers import tutorial_app


def test_status_of_a_finished_task(input_file: Path, tmp_path: Path) -> None:
    run = tutorial_app(
        "run", input_file, "--difficulty", "6", "--subtasks", "3", "--providers", "3",
        "--work-root", tmp_path / "work", "--out", tmp_path / "out", "--json", "--no-tls",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    task_dir = Path(run.json()["task_dir"])
    assert task_dir.parent == tmp_path / "work" / "requestor"

    result = tutorial_app("status", task_dir, "--json")
    assert result.returncode == 0, result.stderr
    data = result.json()
    assert data["task_id"] == task_dir.name
    assert data["finished"] is True and data["difficulty"] == 6
    assert data["totals"]["parts"] == 3 and data["totals"]["done"] == 3
    assert data["totals"]["subtasks"] == 3
    assert [part["status"] for part in data["parts"]] == ["done"] * 3
    assert all(part["attempts"] == 1 and part["node"] for part in data["parts"])

    table = tutorial_app("status", task_dir)
    assert table.returncode == 0
    assert "finished" in table.stdout and "3/3 parts done" in table.stdout


def test_status_of_a_directory_without_a_task(tmp_path: Path) -> None:
    result = tutorial_app("status", tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "holds no task" in result.stderr
