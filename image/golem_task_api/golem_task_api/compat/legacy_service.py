"""0.24's `TaskApiService`, and the bridge that lets the clients drive one.

Apps written for 0.24 implement services with a command *string*
(`"requestor 50005"`) and no timeout on `wait_until_shutdown_complete`;
`services.base.TaskApiService` takes an argument list and a timeout. The
clients accept either kind: `as_app_service` wraps an 0.24 service.
"""

import abc
import ssl
from pathlib import Path

import grpclib.client

from golem_task_api.node.channels import GrpclibChannel
from golem_task_api.node.client import CONNECTION_TIMEOUT, wait_for_serving
from golem_task_api.node.services import base

#: No work dir of an 0.24 service is known, so the bridge names one that
#: holds no TLS files: the connection is plaintext, as 0.24's was without
#: an `ssl_context`.
_NO_TLS_DIR = Path("/nonexistent/golem-task-api-0.24-service")


class TaskApiService(abc.ABC):
    """What 0.24 apps implement to run their server somewhere (a thread, process, container)."""

    @abc.abstractmethod
    def running(self) -> bool:
        """True while the server runs."""

    @abc.abstractmethod
    async def start(self, command: str, port: int) -> tuple[str, int]:
        """Start `command` (`"requestor PORT"`) elsewhere; return where to reach it."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Force the server down."""

    @abc.abstractmethod
    async def wait_until_shutdown_complete(self) -> None:
        """Wait for the server to exit after `Shutdown`."""

    async def open_channel(
        self, command: str, port: int, ssl_context: ssl.SSLContext | None = None
    ) -> grpclib.client.Channel:
        """Start the service, wait until it serves, and return a grpclib channel to it.

        As in 0.24: `ssl_context` (for instance from `golem_task_api.compat.ssl`) makes it
        a TLS channel. The service is stopped if the app does not come up.
        """
        bridge = ServiceBridge(self)
        try:
            host, real_port = await self.start(command, port)
            channel = GrpclibChannel(host, real_port, ssl_context)
            try:
                await wait_for_serving(channel, bridge, CONNECTION_TIMEOUT)
            except BaseException:
                await channel.close()
                raise
            return channel.channel
        except BaseException:
            if self.running():
                await self.stop()
            raise


class ServiceBridge(base.TaskApiService):
    """An 0.24 service seen through this package's service interface."""

    def __init__(self, service: TaskApiService) -> None:
        self.service = service
        self.work_dir = _NO_TLS_DIR

    async def start(self, command: list[str], port: int) -> tuple[str, int]:
        return await self.service.start(" ".join(command), port)

    async def stop(self) -> None:
        if self.service.running():
            await self.service.stop()

    def running(self) -> bool:
        return self.service.running()

    async def wait_until_shutdown_complete(self, timeout: float | None = None) -> None:
        still_running = f"{type(self.service).__name__} is still running"
        await base.wait_for_exit(
            self.service.wait_until_shutdown_complete(), timeout, still_running
        )


def as_app_service(service: base.TaskApiService | TaskApiService) -> base.TaskApiService:
    """The service the clients drive: `service` itself, or a bridge to an 0.24 one."""
    if isinstance(service, TaskApiService):
        return ServiceBridge(service)
    return service
