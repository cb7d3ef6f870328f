"""Plain values that handlers return and the server turns into messages.

Mutable, as in 0.24 (apps may fill them in step by step).
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Infrastructure:
    """What a provider machine needs to run the task's subtasks."""

    #: 0.24 defaulted to None, which its own server could not send; 0.0 means "no minimum".
    min_memory_mib: float | None = 0.0


@dataclass
class Task:
    """The reply to `CreateTask`: which environment providers must run."""

    env_id: str
    prerequisites: dict[str, Any]
    inf_requirements: Infrastructure = field(default_factory=Infrastructure)


@dataclass
class Subtask:
    """The reply to `NextSubtask`: parameters and the input files' names."""

    params: dict[str, Any]
    resources: list[str] = field(default_factory=list)
