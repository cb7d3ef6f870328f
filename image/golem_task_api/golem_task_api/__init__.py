"""Golem Task API runtime: a drop-in for golem_task_api 0.24 apps, on grpcio.

App developers implement `RequestorAppHandler` and `ProviderAppHandler` and
call `entrypoint.main` (or, as 0.24.1 apps do, `golem_task_api.entrypoint`);
nodes and tests drive apps with the clients in `golem_task_api.client` and
the services in `golem_task_api.services`. The root holds 0.24's names.
"""

from golem_task_api import constants, entrypoint, threading
from golem_task_api.client import ProviderAppClient, RequestorAppClient
from golem_task_api.handlers import AppLifecycleHandler, ProviderAppHandler, RequestorAppHandler
from golem_task_api.legacy_service import TaskApiService

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
