"""Shared fixtures: a prepared requestor task dir, a store, a sample input."""

from __future__ import annotations

from pathlib import Path

import pytest
from golem_task_api.wire.dirutils import RequestorTaskDir
from tutorial_app.handlers import repair
from tutorial_app.store import store

from tests.tutorial_app.support import INPUT_TEXT


@pytest.fixture
def task_dir(tmp_path: Path) -> RequestorTaskDir:
    directory = RequestorTaskDir(tmp_path / "task-1")
    directory.prepare()
    (directory.task_inputs_dir / "input.txt").write_text(INPUT_TEXT, encoding="utf-8")
    return directory


@pytest.fixture
def tasks() -> store.TaskStore:
    return store.TaskStore(repair=repair.repair)
