"""0.24's path `golem_task_api.structs`: the module is `golem_task_api.wire.structs`."""

from golem_task_api.wire.structs import *  # noqa: F403
