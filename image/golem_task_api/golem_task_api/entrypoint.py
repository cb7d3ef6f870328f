"""0.24's path `golem_task_api.entrypoint`: callable, as 0.24.1's was (`compat.entrypoint`).

The entry point proper is `golem_task_api.app.entrypoint.main`.
"""

from golem_task_api.app.command_line import *  # noqa: F403
from golem_task_api.app.entrypoint import *  # noqa: F403
from golem_task_api.app.entrypoint import main
from golem_task_api.compat.entrypoint import entrypoint, make_callable

__all__ = ["entrypoint", "main"]

make_callable(__name__)
