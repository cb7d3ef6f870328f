"""`grpc.aio` servers for both roles, built from the rpc table in `rpcs`.

One wrapper maps errors for every rpc through `golem_task_api.errors`
(whose fault: the node's, the task state's, or ours, logged with a
traceback); the server keeps serving either way. The provider shuts itself down after its
single answer; `Shutdown` replies first and then stops the server.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]

from golem_task_api import errors, readiness, tls

# 0.24's server objects, at their 0.24 path (they start `serve` below).
from golem_task_api.appservers import AppServer as AppServer
from golem_task_api.appservers import ProviderAppServer as ProviderAppServer
from golem_task_api.appservers import RequestorAppServer as RequestorAppServer
from golem_task_api.handlers import AppLifecycleHandler, ProviderAppHandler, RequestorAppHandler
from golem_task_api.rpcs import (
    PROVIDER_RPCS,
    PROVIDER_SERVICE,
    REQUESTOR_RPCS,
    REQUESTOR_SERVICE,
    CallContext,
    Rpc,
    serialize,
)
from golem_task_api.threading import Executor

logger = logging.getLogger(__name__)

#: How long in-flight rpcs may finish after shutdown begins before they are cancelled.
STOP_GRACE_SECONDS = 0.5
#: Error details travel in HTTP/2 trailers and grpcio clients drop a whole
#: response whose metadata exceeds 16 KiB, so a message quoting hostile input
#: (a 1 MB file name, say) is cut to this many characters.
MAX_DETAILS_CHARS = 2000
#: No SO_REUSEPORT: two servers must never silently share a port.
_SERVER_OPTIONS = [("grpc.so_reuseport", 0)]


class Role(enum.Enum):
    REQUESTOR = "requestor"
    PROVIDER = "provider"


_TABLES = {
    Role.REQUESTOR: (REQUESTOR_SERVICE, REQUESTOR_RPCS),
    Role.PROVIDER: (PROVIDER_SERVICE, PROVIDER_RPCS),
}


class _SingleShot:
    """Lets the provider take exactly one Compute / RunBenchmark."""

    def __init__(self) -> None:
        self.taken = False


def _details(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if len(text) > MAX_DETAILS_CHARS:
        text = text[: MAX_DETAILS_CHARS - 3] + "..."
    return text


def _method_handler(
    name: str, rpc: Rpc, ctx: CallContext, single_shot: _SingleShot
) -> grpc.RpcMethodHandler[Any, Any]:
    async def behaviour(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        if rpc.single_shot:
            if single_shot.taken:
                await context.abort(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    "this provider server has already taken its one request",
                )
            single_shot.taken = True
        try:
            return await rpc.call(ctx, request)
        except Exception as exc:
            status, traceback = errors.status_for(exc)  # whose fault: see golem_task_api.errors
            if not traceback:
                logger.info("%s: %s: %.2000s", name, status.lower(), exc)
                await context.abort(grpc.StatusCode[status], _details(exc))
            if Executor.is_shutting_down():
                # Work cut short by Shutdown is expected, not an internal error.
                logger.info("%s interrupted by shutdown: %s", name, exc)
                await context.abort(grpc.StatusCode.CANCELLED, f"interrupted by Shutdown: {exc}")
            logger.exception("%s failed", name)
            await context.abort(grpc.StatusCode[status], _details(exc))
        finally:
            if rpc.single_shot:
                # call_soon: the reply goes out before the serve loop stops the server.
                asyncio.get_running_loop().call_soon(ctx.lifecycle.request_shutdown)

    return grpc.unary_unary_rpc_method_handler(
        behaviour,
        request_deserializer=rpc.request_type.FromString,
        response_serializer=serialize,
    )


def prewarm() -> None:
    """Set up the gRPC stack's per-process state before the first server is built.

    A fork server's idle child calls this while it waits for its command line,
    so starting the server later costs less; without it the first server does it.
    """
    grpc.aio.init_grpc_aio()  # type: ignore[attr-defined]


def build_server(
    role: Role,
    work_dir: Path,
    handler: RequestorAppHandler | ProviderAppHandler,
    lifecycle: AppLifecycleHandler,
) -> grpc.aio.Server:
    """A server with the role's service (not yet bound or started)."""
    service_name, table = _TABLES[role]
    ctx = CallContext(work_dir=work_dir, lifecycle=lifecycle, handler=handler)
    single_shot = _SingleShot()
    handlers = {name: _method_handler(name, rpc, ctx, single_shot) for name, rpc in table.items()}
    server = grpc.aio.server(options=_SERVER_OPTIONS)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service_name, handlers),))
    return server


def bind(server: grpc.aio.Server, work_dir: Path, port: int) -> None:
    """Listen on all interfaces; mutual TLS if the work dir holds the files."""
    credentials = tls.server_credentials(work_dir)
    last_error: Exception | None = None
    for host in ("[::]", "0.0.0.0"):
        address = f"{host}:{port}"
        try:
            if credentials is None:
                bound = server.add_insecure_port(address)
            else:
                bound = server.add_secure_port(address, credentials)
        except RuntimeError as exc:
            last_error = exc
            continue
        if bound:
            logger.info("listening on %s (%s)", address, "mTLS" if credentials else "plaintext")
            return
    raise OSError(f"cannot listen on port {port}: {last_error}")


async def serve(
    role: Role,
    work_dir: Path,
    port: int,
    handler: RequestorAppHandler | ProviderAppHandler,
    lifecycle: AppLifecycleHandler | None = None,
) -> None:
    """Serve until the lifecycle's shutdown is requested, running its hooks."""
    lifecycle = lifecycle or AppLifecycleHandler()
    server = build_server(role, work_dir, handler, lifecycle)
    health_servicer = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    bind(server, work_dir, port)

    await lifecycle.on_before_startup()
    await server.start()
    try:
        service_name = _TABLES[role][0]
        for name in ("", service_name):
            await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        readiness.announce()
        await lifecycle.on_after_startup()
        await lifecycle.shutdown_requested()
        await lifecycle.on_before_shutdown()
    finally:
        await health_servicer.enter_graceful_shutdown()
        await server.stop(STOP_GRACE_SECONDS)
    await lifecycle.on_after_shutdown()
