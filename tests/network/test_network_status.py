"""`tutorial-app status` on a finished task."""

from __future__ import annotations

import json
from pathlib import Path

from tests.network.support import tutorial_app


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


def test_status_of_a_work_root_lists_its_tasks(input_file: Path, tmp_path: Path) -> None:
    root = tmp_path / "work"
    run = tutorial_app(
        "run", input_file, "--difficulty", "4", "--subtasks", "2", "--work-root", root,
        "--out", tmp_path / "out", "--json", "--no-tls",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    task_id = run.json()["task_id"]
    listing = tutorial_app("status", root)
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.splitlines() == [
        f"work root {root}: 1 task(s)",
        f"  {task_id}  2/2 done  finished",
    ]
    data = tutorial_app("status", root, "--json").json()
    assert [t["task_id"] for t in data["tasks"]] == [task_id] and data["resume_command"] is None


def test_two_runs_into_one_out_do_not_mix(input_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ("run", input_file, "--difficulty", "4", "--subtasks", "2", "--out", out, "--no-tls")
    first = tutorial_app(*args, "--json")
    assert first.returncode == 0, first.stderr
    refused = tutorial_app(*args)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "already holds 4 other file(s)" in refused.stderr and "--force" in refused.stderr
    second = tutorial_app(*args, "--force", "--json")
    assert second.returncode == 0, second.stderr
    for data in (first.json(), second.json()):
        mine = sorted(out.glob(f"{data['task_id']}-*.zip"))
        assert [str(p) for p in mine] == sorted(data["outputs"]) and len(mine) == 2
    check = tutorial_app("check", out)
    assert check.returncode == 0, check.stdout
    assert check.stdout.count("2/2 proofs good, all good") == 2


def test_check_finds_a_bad_proof(input_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = tutorial_app(
        "run", input_file, "--difficulty", "8", "--subtasks", "3", "--out", out, "--json",
        "--no-tls",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    manifest = next(out.glob("*.manifest.jsonl"))
    lines = manifest.read_text().splitlines()
    record = json.loads(lines[2])
    record["salt"] = "0" * 32  # the proof no longer belongs to this part
    lines[2] = json.dumps(record)
    manifest.write_text("\n".join(lines) + "\n")
    check = tutorial_app("check", out)
    assert check.returncode == 1
    assert check.stdout.splitlines()[0].startswith(f"bad: {record['file']}: ")
    assert "2/3 proofs good, 1 bad" in check.stdout
