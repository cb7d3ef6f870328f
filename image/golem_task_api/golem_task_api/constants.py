"""0.24's path `golem_task_api.constants`: the module is `golem_task_api.wire.constants`."""

from golem_task_api.wire.constants import *  # noqa: F403
