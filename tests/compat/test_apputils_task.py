"""`apputils.task`: parts, subtasks and SubtaskStatus with 0.24's semantics."""

from pathlib import Path

import peewee
import pytest
from golem_task_api.apputils.database.fields import EnumField
from golem_task_api.apputils.task import SubtaskStatus
from golem_task_api.apputils.task.database import DBTaskManager

from tests.compat.compat_app import TaskManager


def test_subtask_status_semantics() -> None:
    assert SubtaskStatus.default() is SubtaskStatus.WAITING
    assert SubtaskStatus(None) is SubtaskStatus.WAITING
    computable = {s for s in SubtaskStatus if s.is_computable()}
    assert computable == {SubtaskStatus.WAITING, SubtaskStatus.FAILURE, SubtaskStatus.ABORTED}


def test_parts_and_subtasks(tmp_path: Path) -> None:
    manager = DBTaskManager(tmp_path)
    assert (tmp_path / "task.db").is_file()
    manager.create_task(3)
    assert manager.get_part(2) is not None and manager.get_part(3) is None
    assert manager.get_subtasks_statuses([0, 1, 2, 7]) == {
        n: (SubtaskStatus.WAITING, None) for n in range(3)
    }
    assert manager.get_next_computable_part_num() == 0

    manager.start_subtask(0, "s0")
    manager.start_subtask(1, "s1")
    assert manager.get_next_computable_part_num() == 2
    assert manager.get_part_num("s1") == 1 and manager.get_part_num("nope") is None
    assert manager.get_subtask("s0").status is SubtaskStatus.COMPUTING
    assert manager.get_subtask("nope") is None
    with pytest.raises(RuntimeError, match="already started"):
        manager.start_subtask(0, "s0-again")

    manager.update_subtask_status("s0", SubtaskStatus.FAILURE)
    assert manager.get_next_computable_part_num() == 0
    manager.start_subtask(0, "s0-retry")  # a failed part may start again
    assert manager.get_subtasks_statuses([0]) == {0: (SubtaskStatus.COMPUTING, "s0-retry")}
    assert manager.get_subtask("s0").status is SubtaskStatus.FAILURE

    manager.update_subtask_status("s1", SubtaskStatus.SUCCESS)
    manager.start_subtask(2, "s2")
    manager.abort_task()
    assert manager.get_subtasks_statuses([0, 1, 2]) == {
        0: (SubtaskStatus.ABORTED, "s0-retry"),
        1: (SubtaskStatus.SUCCESS, "s1"),
        2: (SubtaskStatus.ABORTED, "s2"),
    }
    assert manager.get_next_computable_part_num() == 0


def test_state_survives_a_new_manager(tmp_path: Path) -> None:
    """Each rpc of an 0.24 app opens its own manager on the same file."""
    first = TaskManager(tmp_path)
    first.create_task(2)
    part = first.get_part(1)
    part.numbers = "1 2 3"
    part.save()
    first.start_subtask(1, "sub")
    second = TaskManager(tmp_path)
    assert second.get_part(1).numbers == "1 2 3"
    assert second.get_subtasks_statuses([1]) == {1: (SubtaskStatus.COMPUTING, "sub")}


def test_enum_field_refuses_unknown_values() -> None:
    field = EnumField(SubtaskStatus)
    assert field.db_value(SubtaskStatus.SUCCESS) == "success"
    assert field.db_value("aborted") == "aborted"
    assert field.python_value("failure") is SubtaskStatus.FAILURE
    with pytest.raises(TypeError, match="SubtaskStatus"):
        field.db_value("done")
    assert isinstance(field, peewee.CharField)
