"""Node-side clients: start an app through a service and call it.

`create` starts the service, then waits for the app's readiness signal if
the service has one (`golem_task_api.wire.readiness`), else polls the standard
health service until it answers SERVING or `health_timeout` passes. Calls go
through `channels` (grpclib under TLS, grpcio in plaintext); failed calls
raise `grpc.aio.AioRpcError` (`.code()`, `.details()`) either way.
"""

import asyncio
import contextlib
import json
import logging
import ssl
import time
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2

from golem_task_api.node.channels import AppChannel, GrpclibChannel, open_channel
from golem_task_api.node.services.base import TaskApiService as AppService
from golem_task_api.proto import golem_task_api_pb2 as pb
from golem_task_api.wire import methods
from golem_task_api.wire.enums import VerifyResult
from golem_task_api.wire.methods import PROVIDER_SERVICE, REQUESTOR_SERVICE, Method
from golem_task_api.wire.structs import Infrastructure, Subtask, Task

logger = logging.getLogger(__name__)

HEALTH_POLL_INTERVAL = 0.1
#: 0.24's default for how long `create` waits for the app to serve.
CONNECTION_TIMEOUT = 15.0
HEALTH_CHECK = Method("Check", health_pb2.HealthCheckRequest, health_pb2.HealthCheckResponse)
HEALTH_SERVICE = "grpc.health.v1.Health"
Req = TypeVar("Req", bound=Message)
Rep = TypeVar("Rep", bound=Message)


class AppNotReadyError(TimeoutError):
    """The app did not report SERVING in time (or exited first)."""


class ShutdownException(Exception):
    """0.24's name for "the app was asked to shut down"; kept for apps that catch it."""


async def wait_for_serving(channel: AppChannel, service: AppService, timeout: float) -> None:
    """Poll health `Check("")` about every 0.1 s until SERVING."""
    deadline = time.monotonic() + timeout
    last_problem = "no answer"
    request = health_pb2.HealthCheckRequest(service="")
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AppNotReadyError(f"the app was not SERVING within {timeout} s ({last_problem})")
        if not service.running():
            raise AppNotReadyError("the app exited before it was SERVING")
        try:
            reply = await channel.call(
                HEALTH_SERVICE, HEALTH_CHECK, request, timeout=min(1.0, remaining)
            )
        except grpc.aio.AioRpcError as exc:
            last_problem = f"{exc.code().name}: {exc.details()}"
        else:
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
            last_problem = f"status {reply.status}"
        await asyncio.sleep(HEALTH_POLL_INTERVAL)


class AppClient:
    """What both clients share (0.24's name for their base)."""

    SERVICE = ""
    ROLE = ""
    DEFAULT_PORT: ClassVar[int] = 0
    SOFT_SHUTDOWN_TIMEOUT: ClassVar[float] = 5.0
    #: Check health even after the app signalled it serves: a connection or TLS
    #: problem then shows as a failed start, not as a failed first call.
    HEALTH_CHECK_WHEN_READY: ClassVar[bool] = True

    def __init__(self, service: AppService, channel: AppChannel, host: str, port: int) -> None:
        self.service = service
        self.host = host
        self.port = port
        self._channel = channel

    @classmethod
    async def create(
        cls,
        service: AppService,
        port: int | None = None,
        ssl_context: ssl.SSLContext | None = None,
        *,
        health_timeout: float = CONNECTION_TIMEOUT,
    ) -> Self:
        """Start the app in `service` on `port` and wait until it is ready.

        0.24's signature (`golem_task_api.compat.client` also takes an 0.24
        service): `port` defaults to `DEFAULT_PORT`. TLS comes from
        `ssl_context` if given (as in 0.24, e.g. from `golem_task_api.ssl`),
        else from the files in the service's work dir, else plaintext.
        """
        port = cls.DEFAULT_PORT if port is None else port
        host, real_port = await service.start([cls.ROLE, str(port)], port)
        try:
            # A signal that it is SERVING, if the service has one, spares the
            # polling (the app announces it only once it serves), and for a
            # provider the health check too.
            ready = await service.wait_ready(health_timeout)
            return await cls.connect(
                service,
                host,
                real_port,
                health_timeout=health_timeout,
                ssl_context=ssl_context,
                check_health=cls.HEALTH_CHECK_WHEN_READY or not ready,
            )
        except BaseException:  # e.g. unreadable TLS files: the app must not outlive us
            await service.stop()
            raise

    @classmethod
    async def connect(
        cls,
        service: AppService,
        host: str,
        port: int,
        *,
        health_timeout: float = 15.0,
        ssl_context: ssl.SSLContext | None = None,
        check_health: bool = True,
    ) -> Self:
        """Another client on its own channel to an app already running in `service`.

        A node may hold several connections; `close` it, `shutdown` stays with the first.
        With `check_health` it first waits for the app to answer SERVING.
        """
        if ssl_context is None:
            channel = open_channel(service.work_dir, host, port)
        else:
            channel = GrpclibChannel(host, port, ssl_context)
        try:
            if check_health:
                await wait_for_serving(channel, service, health_timeout)
        except BaseException:
            await channel.close()
            raise
        return cls(service, channel, host, port)

    async def close(self) -> None:
        """Close this client's channel only; the app keeps running."""
        await self._channel.close()

    async def _call(self, method: Method[Req, Rep], request: Req) -> Rep:
        return await self._channel.call(self.SERVICE, method, request)

    async def run_benchmark(self) -> float:
        reply = await self._call(methods.RUN_BENCHMARK, pb.RunBenchmarkRequest())
        return float(reply.score)

    async def send_shutdown(self) -> None:
        """Only the `Shutdown` rpc: the app replies, then stops by itself."""
        await self._call(methods.SHUTDOWN, pb.ShutdownRequest())

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Ask the app to stop, give it `timeout` seconds, then stop the service."""
        try:
            if self.service.running():
                with contextlib.suppress(grpc.aio.AioRpcError, TimeoutError):
                    await asyncio.wait_for(self.send_shutdown(), timeout)
                with contextlib.suppress(TimeoutError):
                    await self.service.wait_until_shutdown_complete(timeout)
        finally:
            await self._channel.close()
            await self.service.stop()


class RequestorAppClient(AppClient):
    SERVICE = REQUESTOR_SERVICE
    ROLE = "requestor"
    DEFAULT_PORT: ClassVar[int] = 50005

    async def create_task(
        self, task_id: str, max_subtasks_count: int, task_params: dict[str, Any]
    ) -> Task:
        request = pb.CreateTaskRequest(
            task_id=task_id,
            max_subtasks_count=max_subtasks_count,
            task_params_json=json.dumps(task_params),
        )
        reply = await self._call(methods.CREATE_TASK, request)
        return Task(
            env_id=reply.env_id,
            prerequisites=json.loads(reply.prerequisites_json or "null"),
            inf_requirements=Infrastructure(min_memory_mib=reply.inf_requirements.min_memory_mib),
        )

    async def next_subtask(
        self, task_id: str, subtask_id: str, opaque_node_id: str = ""
    ) -> Subtask | None:
        request = pb.NextSubtaskRequest(
            task_id=task_id, subtask_id=subtask_id, opaque_node_id=opaque_node_id
        )
        reply = await self._call(methods.NEXT_SUBTASK, request)
        if not reply.HasField("subtask"):
            return None
        return Subtask(
            params=json.loads(reply.subtask.subtask_params_json),
            resources=list(reply.subtask.resources),
        )

    async def verify(self, task_id: str, subtask_id: str) -> tuple[VerifyResult, str]:
        request = pb.VerifyRequest(task_id=task_id, subtask_id=subtask_id)
        reply = await self._call(methods.VERIFY, request)
        return VerifyResult(reply.result), str(reply.reason)

    async def discard_subtasks(self, task_id: str, subtask_ids: list[str]) -> list[str]:
        request = pb.DiscardSubtasksRequest(task_id=task_id, subtask_ids=subtask_ids)
        reply = await self._call(methods.DISCARD_SUBTASKS, request)
        return list(reply.discarded_subtask_ids)

    async def has_pending_subtasks(self, task_id: str) -> bool:
        request = pb.HasPendingSubtasksRequest(task_id=task_id)
        reply = await self._call(methods.HAS_PENDING_SUBTASKS, request)
        return bool(reply.has_pending_subtasks)

    async def abort_task(self, task_id: str) -> None:
        await self._call(methods.ABORT_TASK, pb.AbortTaskRequest(task_id=task_id))

    async def abort_subtask(self, task_id: str, subtask_id: str) -> None:
        request = pb.AbortSubtaskRequest(task_id=task_id, subtask_id=subtask_id)
        await self._call(methods.ABORT_SUBTASK, request)


class ProviderAppClient(AppClient):
    """One per Compute / RunBenchmark: the app exits after answering."""

    SERVICE = PROVIDER_SERVICE
    ROLE = "provider"
    DEFAULT_PORT: ClassVar[int] = 50006
    #: A provider serves one call: that call is its check (a local run starts
    #: one per subtask, and the check was a tenth of its cost).
    HEALTH_CHECK_WHEN_READY: ClassVar[bool] = False

    async def compute(self, task_id: str, subtask_id: str, subtask_params: dict[str, Any]) -> Path:
        """The result file's path, relative to the provider task dir."""
        request = pb.ComputeRequest(
            task_id=task_id,
            subtask_id=subtask_id,
            subtask_params_json=json.dumps(subtask_params),
        )
        reply = await self._call(methods.COMPUTE, request)
        return Path(reply.output_filepath)
