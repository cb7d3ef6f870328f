"""Golem Task API runtime: a drop-in for golem_task_api 0.24 apps, on grpcio.

App developers implement `RequestorAppHandler` and `ProviderAppHandler` and
call `entrypoint.main` (or, as 0.24.1 apps do, `golem_task_api.entrypoint`);
nodes and tests drive apps with the clients in `golem_task_api.node.client` and
the services in `golem_task_api.node.services`. The root holds 0.24's names.

Rooms: `wire` (shared, at the bottom), `app` and `node` (never importing each
other), `compat` (0.24's objects, on top); 0.24's module paths are thin shims.
"""

from typing import TYPE_CHECKING, Any

# 0.24's modules at 0.24's paths (`entrypoint` is callable, as in 0.24.1).
from golem_task_api import constants, entrypoint, threading
from golem_task_api.app.handlers import AppLifecycleHandler, ProviderAppHandler, RequestorAppHandler

if TYPE_CHECKING:
    from golem_task_api.compat.client import ProviderAppClient, RequestorAppClient
    from golem_task_api.compat.legacy_service import TaskApiService

#: The node-side names load on first use: an app process never needs them.
_NODE_SIDE = {
    "ProviderAppClient": "golem_task_api.compat.client",
    "RequestorAppClient": "golem_task_api.compat.client",
    "TaskApiService": "golem_task_api.compat.legacy_service",
}


def __getattr__(name: str) -> Any:
    if name in _NODE_SIDE:
        import importlib

        return getattr(importlib.import_module(_NODE_SIDE[name]), name)
    raise AttributeError(f"module 'golem_task_api' has no attribute {name!r}")


__all__ = [
    "AppLifecycleHandler",
    "ProviderAppClient",
    "ProviderAppHandler",
    "RequestorAppClient",
    "RequestorAppHandler",
    "TaskApiService",
    "constants",
    "entrypoint",
    "threading",
]
