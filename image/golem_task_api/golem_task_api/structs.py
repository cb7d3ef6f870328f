"""Plain values that handlers return and the server turns into messages."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Infrastructure:
    """What a provider machine needs to run the task's subtasks."""

    min_memory_mib: float = 0.0


@dataclass(frozen=True)
class Task:
    """The reply to `CreateTask`: which environment providers must run."""

    env_id: str
    prerequisites: dict[str, Any]
    inf_requirements: Infrastructure = field(default_factory=Infrastructure)


@dataclass(frozen=True)
class Subtask:
    """The reply to `NextSubtask`: parameters and the input files' names."""

    params: dict[str, Any]
    resources: list[str] = field(default_factory=list)
