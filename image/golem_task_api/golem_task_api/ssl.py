"""0.24's path `golem_task_api.ssl`: the module is `golem_task_api.compat.ssl`."""

from golem_task_api.compat.ssl import *  # noqa: F403
