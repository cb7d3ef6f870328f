"""Test utilities: play the node in an app's tests (0.24's `golem_task_api.testutils`).

`TaskLifecycleUtil(work_dir)` with 0.24's methods drives apps through
0.24 services such as `InlineTaskApiService`; given a service factory it
also offers the newer helpers (`run_task`, `compute_remote`, ...).
"""

from golem_task_api.node.services.base import ServiceFactory
from golem_task_api.testutils.inlinetaskapiservice import InlineTaskApiService
from golem_task_api.testutils.runs import SubtaskVerdict, TaskRun
from golem_task_api.testutils.tasklifecycleutil import TaskLifecycleUtil

__all__ = [
    "InlineTaskApiService",
    "ServiceFactory",
    "SubtaskVerdict",
    "TaskLifecycleUtil",
    "TaskRun",
]
