"""Task and subtask parameters: validated before anything touches disk.

Names and ids come from the node or a provider and end up in paths, so
every one is checked to be a plain file name that stays where it belongs.
Every error is a `ValueError` saying what was wrong and what is allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from golem_task_api.wire import ids

from tutorial_app.search import pow

#: A cap on parts so a huge `max_subtasks_count` cannot exhaust memory.
MAX_PARTS = 100_000
_TASK_KEYS = ("difficulty", "resources", "subtasks_count")
_SUBTASK_KEYS = ("difficulty", "resources")


@dataclass(frozen=True)
class TaskParams:
    difficulty: int
    resources: list[str]
    subtasks_count: int


@dataclass(frozen=True)
class SubtaskParams:
    difficulty: int
    resource: str

    def to_json(self) -> dict[str, Any]:
        return {"difficulty": self.difficulty, "resources": [self.resource]}


def parse_task_params(raw: Any, max_subtasks_count: int) -> TaskParams:
    """Validate `task_params_json`; resource names are checked, not opened."""
    data = _object(raw, "task parameters", _TASK_KEYS)
    max_count = _int(max_subtasks_count, "max_subtasks_count", 1, MAX_PARTS)
    if "resources" not in data:
        raise ValueError("task parameters need 'resources': a list of file names in task_inputs")
    resources = data["resources"]
    if not isinstance(resources, list) or not resources:
        raise ValueError(
            f"'resources' must be a non-empty list of file names in task_inputs, got {resources!r}"
        )
    names = [check_file_name(name, "resource") for name in resources]
    count = data.get("subtasks_count", max_count)
    return TaskParams(
        difficulty=parse_difficulty(data.get("difficulty")),
        resources=names,
        subtasks_count=_int(count, "subtasks_count", 1, max_count),
    )


def parse_subtask_params(raw: Any) -> SubtaskParams:
    """Validate what `NextSubtask` sent to a provider: a difficulty and one zip."""
    data = _object(raw, "subtask parameters", _SUBTASK_KEYS)
    resources = data.get("resources")
    if not isinstance(resources, list) or len(resources) != 1:
        raise ValueError(
            f"subtask 'resources' must be a list of exactly one zip file name, got {resources!r}"
        )
    name = check_file_name(resources[0], "subtask resource")
    if not name.endswith(".zip"):
        raise ValueError(f"the subtask resource must be a .zip file, got {name!r}")
    return SubtaskParams(parse_difficulty(data.get("difficulty")), name)


def parse_difficulty(value: Any) -> int:
    """An int in 0..256, as an int, an integral float (the original app sends
    `10.0`) or a string holding an int (`"10"`, as in the original's examples)."""
    low, high = pow.MIN_DIFFICULTY, pow.MAX_DIFFICULTY
    integral_float = isinstance(value, float) and value.is_integer() and abs(value) <= 2**53
    integral_text = isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]{1,4}\s*", value)
    if integral_float or integral_text:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(
            f"'difficulty' must be an integer from {low} to {high} (or an integral number "
            f"such as 10.0, or a string holding an integer), got {value!r}"
        )
    if not low <= value <= high:
        raise ValueError(f"'difficulty' must be between {low} and {high}, got {value}")
    return value


def check_file_name(name: Any, what: str) -> str:
    """A plain file name: no separators, no '..', not absolute, not hidden-control."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"a {what} name must be a non-empty string, got {name!r}")
    if (
        "/" in name
        or "\\" in name
        or name in (".", "..")
        or any(ord(ch) < 32 for ch in name)
        or len(name.encode("utf-8")) > 255
    ):
        raise ValueError(
            f"a {what} name must be a plain file name (no path separators, not '.' or '..', "
            f"no control characters, at most 255 bytes), got {name!r}"
        )
    return name


def resolve_inside(directory: Path, name: str, what: str) -> Path:
    """`directory/name`, refusing anything (a symlink, say) that leads outside it."""
    check_file_name(name, what)
    try:
        base = directory.resolve()
        path = (directory / name).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop, a name the OS refuses
        raise ValueError(f"the {what} {name!r} cannot be resolved: {exc}") from None
    if path.parent != base:
        raise ValueError(f"the {what} {name!r} must stay inside {directory.name}/")
    return path


def check_subtask_id(subtask_id: Any) -> str:
    """Subtask ids name files, so only portable characters are allowed (the wire's rule)."""
    return ids.check_portable_id("subtask id", subtask_id)


def _object(raw: Any, what: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValueError(f"{what} must be a JSON object, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise ValueError(f"unknown {what} {unknown}; allowed: {list(allowed)}")
    return raw


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"'{name}' must be an integer from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"'{name}' must be between {low} and {high}, got {value}")
    return value
