"""`tutorial-app status` on damaged files: one clear line, non-zero exit, nothing written.

Regression (issue 13, defect 8): a `task.json` that is a list, `subtasks` as
a list or a deeply nested journal line printed a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from golem_task_api.wire.dirutils import RequestorTaskDir
from tutorial_app import cli
from tutorial_app.handlers import commands
from tutorial_app.store import snapshot, store

from tests.tutorial_app.support import disk_fingerprint


def _edit_snapshot(change: Callable[[dict[str, object]], object]) -> Callable[[Path], None]:
    def damage(task_dir: Path) -> None:
        path = task_dir / store.SNAPSHOT_NAME
        data = json.loads(path.read_text())
        path.write_text(json.dumps(change(data)))

    return damage


def _set(key: str, value: object) -> Callable[[dict[str, object]], object]:
    return lambda data: {**data, key: value}


def _journal(line: bytes) -> Callable[[Path], None]:
    def damage(task_dir: Path) -> None:
        path = task_dir / store.JOURNAL_NAME
        path.write_bytes(line + path.read_bytes())

    return damage


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda task_dir: (task_dir / name).write_bytes(data)


DAMAGE: dict[str, Callable[[Path], None]] = {
    "task.json is a list": _write(store.SNAPSHOT_NAME, b"[1, 2]"),
    "subtasks as a list": _edit_snapshot(_set("subtasks", [])),
    "parts as an object": _edit_snapshot(_set("parts", {"0": 1})),
    "a part is a string": _edit_snapshot(_set("parts", ["pending"])),
    "a bad part status": _edit_snapshot(
        lambda d: {**d, "parts": [{**p, "status": "lost"} for p in d["parts"]]}  # type: ignore[attr-defined]
    ),
    "seq is a string": _edit_snapshot(_set("seq", "3")),
    "unknown format": _edit_snapshot(_set("format", 99)),
    "format 1 with subtasks as a list": _edit_snapshot(
        lambda d: {**d, "format": 1, "input_text": "x", "subtasks": []}
    ),
    "deeply nested task.json": _write(store.SNAPSHOT_NAME, b"[" * 200_000),
    "task.json not UTF-8": _write(store.SNAPSHOT_NAME, b'{"format": 2, "x": "\xff"}'),
    "task.json cut short": _write(store.SNAPSHOT_NAME, b'{"format": 2, "se'),
    "deeply nested journal line": _journal(b"[" * 200_000 + b"\n"),
    "journal line is a list": _journal(b"[1]\n"),
    "journal line of an unknown type": _journal(b'{"type": "boom", "seq": 1}\n'),
    "journal move that never happened": _journal(
        b'{"type": "verified", "subtask_id": "nobody", "seq": 1}\n'
    ),
    "input file missing": lambda d: (d / snapshot.INPUT_NAME).unlink(),
    "input file changed": _write(snapshot.INPUT_NAME, b"not the input"),
}


@pytest.fixture
async def live_task(task_dir: RequestorTaskDir, tasks: store.TaskStore) -> RequestorTaskDir:
    task_params = {"difficulty": 0, "resources": ["input.txt"], "subtasks_count": 2}
    await commands.create_task(tasks, task_dir, 2, task_params)
    assert await commands.next_subtask(tasks, task_dir, "a", "node") is not None
    return task_dir


@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_files_give_one_line_and_a_non_zero_exit(
    case: str, live_task: RequestorTaskDir, capsys: pytest.CaptureFixture[str]
) -> None:
    DAMAGE[case](live_task)
    before = disk_fingerprint(live_task)
    code = cli.main(["status", str(live_task)])
    out, err = capsys.readouterr()
    assert code != 0, out
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("tutorial-app status: error: cannot read the task") and len(err) < 600
    assert disk_fingerprint(live_task) == before  # a reader writes nothing


def test_no_traceback_from_the_real_command(live_task: RequestorTaskDir) -> None:
    DAMAGE["subtasks as a list"](live_task)
    done = subprocess.run(
        [sys.executable, "-m", "tutorial_app.cli", "status", str(live_task)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_healthy_task_still_shows(
    live_task: RequestorTaskDir, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["status", str(live_task), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["totals"]["in_progress"] == 1 and data["parts"][0]["attempts"] == 1
