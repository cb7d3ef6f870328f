"""0.24's path `golem_task_api.enums`: the module is `golem_task_api.wire.enums`."""

from golem_task_api.wire.enums import *  # noqa: F403
