"""0.24's path `golem_task_api.handlers`: the module is `golem_task_api.app.handlers`."""

from golem_task_api.app.handlers import *  # noqa: F403
