"""0.24's path `golem_task_api.threading`: the module is `golem_task_api.app.threading`."""

from golem_task_api.app.threading import *  # noqa: F403
