"""0.24's clients: `create` takes an 0.24 `TaskApiService` (string command) as well.

The node's own clients (`golem_task_api.node.client`) take only the node's
services; these wrap an 0.24 service in `legacy_service.ServiceBridge` first.
"""

import ssl
from typing import Self

from golem_task_api.compat.legacy_service import TaskApiService, as_app_service
from golem_task_api.node import client
from golem_task_api.node.client import CONNECTION_TIMEOUT
from golem_task_api.node.services.base import TaskApiService as AppService


class _Accepts024Services(client.AppClient):
    @classmethod
    async def create(
        cls,
        service: AppService | TaskApiService,
        port: int | None = None,
        ssl_context: ssl.SSLContext | None = None,
        *,
        health_timeout: float = CONNECTION_TIMEOUT,
    ) -> Self:
        return await super().create(
            as_app_service(service), port, ssl_context, health_timeout=health_timeout
        )


class RequestorAppClient(_Accepts024Services, client.RequestorAppClient):
    """0.24's `golem_task_api.client.RequestorAppClient`."""


class ProviderAppClient(_Accepts024Services, client.ProviderAppClient):
    """0.24's `golem_task_api.client.ProviderAppClient`."""
