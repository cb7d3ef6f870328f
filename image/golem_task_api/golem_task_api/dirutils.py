"""0.24's path `golem_task_api.dirutils`: the module is `golem_task_api.wire.dirutils`."""

from golem_task_api.wire.dirutils import *  # noqa: F403
