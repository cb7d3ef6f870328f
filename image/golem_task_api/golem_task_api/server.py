"""The app's gRPC server for either role: which stack serves, and the one error mapping.

Two stacks serve the same rpc table (`rpcs`), chosen per role and transport
(measured; see DESIGN, "Transport"):

* grpclib (`grpclib_server`) for providers and for any TLS server: it owns
  the TLS context (ALPN optional for clients, client certificate required)
  and the end of each connection (a client confirms it has read its last
  reply before the server hangs up);
* grpcio (`grpcio_server`) for a plaintext requestor: its C core keeps the
  requestor's throughput, and its one final reply (`Shutdown`) is protected
  by serving on for a short grace before stopping.

`status_of` is the one place where an exception from an rpc becomes a gRPC
status, by whose fault it is (`golem_task_api.errors`: the node's, the
task state's, or ours, logged with a traceback); work cut short by
`Shutdown` is CANCELLED; the server keeps serving either way.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import ssl
from pathlib import Path
from typing import Protocol

from grpclib.const import Status

from golem_task_api import constants, errors, readiness, tls

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
    AnyRpc,
    CallContext,
)
from golem_task_api.threading import Executor

logger = logging.getLogger(__name__)

#: How long in-flight rpcs may finish after shutdown begins before they are cancelled.
STOP_GRACE_SECONDS = 0.5
#: The most a client may take to show it has read its last reply.
DELIVERY_GRACE_SECONDS = 1.0
#: Error details travel in HTTP/2 trailers and grpcio clients drop a whole
#: response whose metadata exceeds 16 KiB, so a message quoting hostile input
#: (a 1 MB file name, say) is cut to this many characters.
MAX_DETAILS_CHARS = 2000
#: The largest request accepted (grpcio's default limit too).
MAX_REQUEST_BYTES = 4 * 1024 * 1024


class Role(enum.Enum):
    REQUESTOR = "requestor"
    PROVIDER = "provider"


TABLES: dict[Role, tuple[str, tuple[AnyRpc, ...]]] = {
    Role.REQUESTOR: (REQUESTOR_SERVICE, REQUESTOR_RPCS),
    Role.PROVIDER: (PROVIDER_SERVICE, PROVIDER_RPCS),
}


class RpcError(Exception):
    """End the current rpc with this status (raised inside the servers only)."""

    def __init__(self, status: Status, details: str) -> None:
        super().__init__(details)
        self.status = status
        self.details = details


def _details(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if len(text) > MAX_DETAILS_CHARS:
        text = text[: MAX_DETAILS_CHARS - 3] + "..."
    return text


def prewarm() -> None:
    """Import the stack providers serve on before the first server is built.

    A fork server calls this before it forks, so no app it starts imports the
    stack again; without it the first server does.
    """
    import golem_task_api.grpclib_server  # noqa: F401

    # OpenSSL sets itself up on a process's first context (about 2 ms): once, here.
    ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)


def prepare_fork(argv: list[str]) -> None:
    """Build, in a fork server, what the next apps it forks with this command line inherit.

    That is the work dir's TLS context (`tls` keeps contexts by the files'
    content, and a node gives every app the same files). Any problem is left
    for the app itself to report.
    """
    from golem_task_api.entrypoint import split_work_dir

    with contextlib.suppress(Exception):
        work_dir, _ = split_work_dir(list(argv), Path(constants.CONTAINER_WORK_DIR))
        tls.server_context(work_dir)


def status_of(name: str, exc: Exception) -> tuple[Status, str]:
    """The one place where an exception from an rpc becomes a gRPC status."""
    if isinstance(exc, RpcError):
        return exc.status, exc.details
    status, traceback = errors.status_for(exc)  # whose fault: see golem_task_api.errors
    if not traceback:
        logger.info("%s: %s: %.2000s", name, status.lower(), exc)
        return Status[status], _details(exc)
    if Executor.is_shutting_down():
        # Work cut short by Shutdown is expected, not an internal error.
        logger.info("%s interrupted by shutdown: %s", name, exc)
        return Status.CANCELLED, _details(RuntimeError(f"interrupted by Shutdown: {exc}"))
    logger.error("%s failed", name, exc_info=exc)
    return Status[status], _details(exc)


class StackServer(Protocol):
    """What `serve` needs from a stack."""

    async def start(self, port: int) -> None: ...

    async def stop(self) -> None:
        """Finish rpcs in flight, make sure final replies arrive, stop."""


def build_server(role: Role, ctx: CallContext) -> StackServer:
    """The stack for this role and transport (damaged TLS files: `tls.TlsFileError`)."""
    context = tls.server_context(ctx.work_dir)
    if role is Role.REQUESTOR and context is None:
        from golem_task_api.grpcio_server import GrpcioAppServer

        return GrpcioAppServer(role, ctx)
    from golem_task_api.grpclib_server import GrpclibAppServer

    return GrpclibAppServer(role, ctx, context)


async def serve(
    role: Role,
    work_dir: Path,
    port: int,
    handler: RequestorAppHandler | ProviderAppHandler,
    lifecycle: AppLifecycleHandler | None = None,
) -> None:
    """Serve until the lifecycle's shutdown is requested, running its hooks."""
    lifecycle = lifecycle or AppLifecycleHandler()
    ctx = CallContext(work_dir=work_dir, lifecycle=lifecycle, handler=handler)
    server = build_server(role, ctx)
    await lifecycle.on_before_startup()
    await server.start(port)
    try:
        readiness.announce()
        await lifecycle.on_after_startup()
        await lifecycle.shutdown_requested()
        await lifecycle.on_before_shutdown()
    finally:
        await server.stop()
    await lifecycle.on_after_shutdown()
