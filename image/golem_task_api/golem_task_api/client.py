"""0.24's path `golem_task_api.client`: the node's clients (`golem_task_api.node.client`),
taking 0.24's services too (`golem_task_api.compat.client`)."""

from golem_task_api.compat.client import ProviderAppClient, RequestorAppClient
from golem_task_api.node.client import (
    CONNECTION_TIMEOUT,
    HEALTH_POLL_INTERVAL,
    AppClient,
    AppNotReadyError,
    ShutdownException,
    wait_for_serving,
)

__all__ = [
    "CONNECTION_TIMEOUT",
    "HEALTH_POLL_INTERVAL",
    "AppClient",
    "AppNotReadyError",
    "ProviderAppClient",
    "RequestorAppClient",
    "ShutdownException",
    "wait_for_serving",
]
