"""`NetworkConfig` checks its own fields, and is what `run.json` keeps."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from golem_task_api.node.network.config import ConfigError, NetworkConfig, new_task_id


def config(**fields: Any) -> NetworkConfig:
    base: dict[str, Any] = {
        "inputs": [Path("in.txt")],
        "task_params": {},
        "subtasks": 2,
        "providers": 1,
        "make_service": None,
    }
    return NetworkConfig(**(base | fields))


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"providers": 0}, "providers", "providers must be at least 1, got 0"),
        ({"subtasks": 0}, "subtasks", "subtasks must be at least 1, got 0"),
        ({"max_retries": -1}, "max_retries", "max_retries must not be negative, got -1"),
        ({"subtask_timeout": 0.0}, "subtask_timeout", "subtask_timeout must be positive"),
        ({"expected_work": 0.0}, "expected_work", "expected_work must be positive"),
        ({"resume": True}, "resume", "resume needs the work_root"),
        ({"task_id": "../x"}, "task_id", "task_id must not contain '/'"),
    ],
)
def test_a_setting_that_cannot_work_is_refused_as_the_config_is_made(
    fields: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as refused:
        config(**fields)
    assert refused.value.field == field
    assert isinstance(refused.value, ValueError)


def test_the_saved_settings_are_derived_from_the_config(tmp_path: Path) -> None:
    made = config(out_dir=tmp_path / "out", tls=False, max_retries=5, subtask_timeout=9.0)
    assert made.saved() == {
        "task_id": made.task_id,
        "subtasks": 2,
        "providers": 1,
        "out": str(tmp_path / "out"),
        "tls": False,
        "max_retries": 5,
        "subtask_timeout": 9.0,
    }


def test_each_task_gets_its_own_id_of_one_shape() -> None:
    first, second = config().task_id, config().task_id
    assert first != second
    assert re.fullmatch(r"task-[0-9a-f]{12}", first)
    assert re.fullmatch(r"task-[0-9a-f]{12}", new_task_id())
