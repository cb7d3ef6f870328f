"""A local Golem network: run a whole task on one machine, as a node would.

`run_task(NetworkConfig(...))` starts one requestor app and short-lived
provider apps through `TaskApiService`s, moves files as the wire contract
says, and reports how it went. `golem-task-api run` is its command line.
"""

from golem_task_api.node.network.node import LocalNetwork, NetworkConfig, run_task
from golem_task_api.node.network.report import NullObserver, Observer, Report, Stats, TaskStatus

__all__ = [
    "LocalNetwork",
    "NetworkConfig",
    "NullObserver",
    "Observer",
    "Report",
    "Stats",
    "TaskStatus",
    "run_task",
]
