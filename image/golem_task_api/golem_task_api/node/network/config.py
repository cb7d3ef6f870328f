"""What one local run is asked to do: the task, the network, and how to report.

Kept apart from `node` (which re-exports it) so the settings read on their
own: every field a command line or a test can set, with its default. It
checks its own fields as it is made (as grpclib's `Configuration` does), so a
setting that cannot work is a `ConfigError` naming it, not a puzzling end of
the run; `saved()` is what `run.json` keeps of it, and `new_task_id` is the
one place a task id is made.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from golem_task_api.node.network.measures import WorkMeter
from golem_task_api.node.network.results import Describer
from golem_task_api.node.services.base import ServiceFactory
from golem_task_api.wire import ids


class ConfigError(ValueError):
    """A setting that cannot work; `field` names it, `problem` says why."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.field = field
        self.problem = problem


def new_task_id() -> str:
    """A fresh task's id: the one place it is made."""
    return f"task-{uuid.uuid4().hex[:12]}"


#: The settings a resumed run takes from `run.json`, not its command line (and
#: `out`, the `out_dir`).
SAVED_FIELDS = ("subtasks", "providers", "tls", "max_retries", "subtask_timeout")

if TYPE_CHECKING:
    from golem_task_api.node.network.remote import RemoteProviders


@dataclass(frozen=True)
class NetworkConfig:
    inputs: list[Path]
    task_params: dict[str, Any]
    subtasks: int
    providers: int
    make_service: ServiceFactory
    out_dir: Path | None = None
    tls: bool = True
    #: Where the requestor's and providers' work dirs go; a temp dir if None.
    work_root: Path | None = None
    #: Keep the work dirs (always kept when `work_root` is given, unless it is
    #: `temporary_root`; always kept when the run is interrupted).
    keep_work: bool = False
    temporary_root: bool = False
    #: A run that keeps no work dirs puts its providers' dirs in memory if it
    #: can (see `scratch`): for apps whose provider dirs are known to be small.
    providers_in_memory: bool = False
    #: Failed attempts tolerated over the whole task before giving up.
    max_retries: int = 3
    subtask_timeout: float = 600.0
    work_meter: WorkMeter | None = None
    work_unit: str | None = None
    work_label: str | None = None
    #: Expected work per subtask (same unit) and the network's benchmark rate
    #: (units/s, measured off the loop), for the ETA before the first result.
    expected_work: float | None = None
    benchmark: Callable[[], float] | None = None
    #: What the manifest says about each result, so `--out` can be checked alone.
    describe: Describer | None = None
    #: Carry on with the task saved in `work_root` instead of creating one.
    resume: bool = False
    #: Providers on other machines (a cluster): each attempt runs there, not here.
    remote: RemoteProviders | None = None
    task_id: str = field(default_factory=new_task_id)

    def __post_init__(self) -> None:
        if self.subtasks < 1:
            raise ConfigError("subtasks", f"must be at least 1, got {self.subtasks}")
        if self.providers < 1:
            raise ConfigError("providers", f"must be at least 1, got {self.providers}")
        if self.max_retries < 0:
            raise ConfigError("max_retries", f"must not be negative, got {self.max_retries}")
        if not self.subtask_timeout > 0:
            raise ConfigError("subtask_timeout", f"must be positive, got {self.subtask_timeout}")
        if self.expected_work is not None and not self.expected_work > 0:
            raise ConfigError("expected_work", f"must be positive, got {self.expected_work}")
        if self.resume and self.work_root is None:
            raise ConfigError("resume", "needs the work_root that holds the task")
        try:
            ids.check_dir_id("task_id", self.task_id)
        except ValueError as exc:
            raise ConfigError("task_id", str(exc).removeprefix("task_id ")) from None

    def saved(self) -> dict[str, Any]:
        """What `run.json` keeps of this run (with the task id), JSON-ready."""
        kept: dict[str, Any] = {"task_id": self.task_id}
        kept |= {name: getattr(self, name) for name in SAVED_FIELDS}
        if self.out_dir is not None:
            kept["out"] = str(self.out_dir)
        return kept
