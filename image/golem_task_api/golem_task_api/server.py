"""0.24's path `golem_task_api.server`: `serve` and the stacks' vocabulary (`golem_task_api.app`),
with 0.24's server handles (`golem_task_api.compat.appservers`)."""

from golem_task_api.app.rpcs import TABLES, Role
from golem_task_api.app.server import *  # noqa: F403
from golem_task_api.app.stack import *  # noqa: F403
from golem_task_api.compat.appservers import AppServer, ProviderAppServer, RequestorAppServer

__all__ = ["TABLES", "AppServer", "ProviderAppServer", "RequestorAppServer", "Role"]
