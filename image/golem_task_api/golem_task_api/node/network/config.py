"""What one local run is asked to do: the task, the network, and how to report.

Kept apart from `node` (which re-exports it) so the settings read on their
own: every field a command line or a test can set, with its default.
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
    task_id: str = field(default_factory=lambda: f"task-{uuid.uuid4().hex[:12]}")
