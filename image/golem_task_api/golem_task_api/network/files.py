"""The file moves of the local network: they live in `golem_task_api.nodemoves`.

Kept as a module so `network.files.<name>` still works; `TaskLifecycleUtil`
uses the same implementation.
"""

from golem_task_api.nodemoves import (
    FileMoveError,
    check_plain_name,
    collect_result,
    copy_inputs,
    copy_outputs,
    copy_resources,
    inside,
)

__all__ = [
    "FileMoveError",
    "check_plain_name",
    "collect_result",
    "copy_inputs",
    "copy_outputs",
    "copy_resources",
    "inside",
]
