"""0.24.1's callable module: `await golem_task_api.entrypoint(work_dir, argv, ...)`.

`golem_task_api.entrypoint` (the 0.24 path) calls `make_callable` on itself;
the entry point proper is `golem_task_api.app.entrypoint.main`.
"""

import sys
import types
from collections.abc import Coroutine
from typing import Any

from golem_task_api.app.entrypoint import main

#: 0.24.1's name: `from golem_task_api.entrypoint import entrypoint`.
entrypoint = main


class CallableModule(types.ModuleType):
    """A module that, called, runs `main`: what 0.24.1 apps do with `golem_task_api.entrypoint`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, None]:
        return main(*args, **kwargs)


def make_callable(module_name: str) -> None:
    """Make the module `module_name` callable (it must be imported)."""
    sys.modules[module_name].__class__ = CallableModule
