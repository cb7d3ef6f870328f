"""The app's gRPC server for either role: which stack serves it, and its lifecycle.

Two stacks serve the same rpc table (`rpcs`), chosen per role and transport
(measured; see DESIGN, "Transport"):

* grpclib (`grpclib_server`) for providers and for any TLS server: it owns
  the TLS context (ALPN optional for clients, client certificate required)
  and the end of each connection (a client confirms it has read its last
  reply before the server hangs up);
* grpcio (`grpcio_server`) for a plaintext requestor: its C core keeps the
  requestor's throughput, and its one final reply (`Shutdown`) is protected
  by serving on for a short grace before stopping.

`STACKS` is that choice, a table as uvicorn's protocol implementations are:
each entry names a class that takes `(role, ctx, tls_context)`, loaded on first
use (an app imports only the stack it serves on). What the stacks share (the
error mapping, limits, graces) is in `stack`; they import it, never this
module. A fork server's hooks (`prewarm`, `prepare_fork`) are registered in
`wire.forking` as this module is imported.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import ssl
from pathlib import Path
from typing import Protocol

from golem_task_api.app.handlers import AppLifecycleHandler, ProviderAppHandler, RequestorAppHandler
from golem_task_api.app.rpcs import CallContext, Role
from golem_task_api.wire import constants, forking, readiness, tls

logger = logging.getLogger(__name__)


def prewarm() -> None:
    """Import the stack providers serve on before the first server is built.

    A fork server calls this before it forks, so no app it starts imports the
    stack again; without it the first server does. The app's own steps
    (`forking.before_forking`) run here too.
    """
    for tls_on in (False, True):
        stack_for(Role.PROVIDER, tls_on)

    # OpenSSL sets itself up on a process's first context (about 2 ms): once, here.
    ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    for step in forking.parent_steps():  # the app's own (`forking.before_forking`)
        try:
            step()
        except Exception:  # the apps then do it themselves
            logger.warning("a step before forking failed: %r", step, exc_info=True)


def prepare_fork(argv: list[str]) -> None:
    """Build, in a fork server, what the next apps it forks with this command line inherit.

    That is the work dir's TLS context (`tls` keeps contexts by the files'
    content, and a node gives every app the same files). Any problem is left
    for the app itself to report.
    """
    from golem_task_api.app.command_line import split_work_dir

    with contextlib.suppress(Exception):
        work_dir, _ = split_work_dir(list(argv), Path(constants.CONTAINER_WORK_DIR))
        tls.server_context(work_dir)


class StackServer(Protocol):
    """What `serve` needs from a stack."""

    async def start(self, port: int) -> None: ...

    async def stop(self) -> None:
        """Finish rpcs in flight, make sure final replies arrive, stop."""


class Stack(Protocol):
    """A stack's server class: built for one role, over TLS if given a context."""

    def __call__(
        self, role: Role, ctx: CallContext, context: ssl.SSLContext | None
    ) -> StackServer: ...


_GRPCLIB = "golem_task_api.app.grpclib_server:GrpclibAppServer"
_GRPCIO = "golem_task_api.app.grpcio_server:GrpcioAppServer"

#: (role, TLS?) -> the stack serving it, as "module:class" (see the module's docstring).
STACKS: dict[tuple[Role, bool], str] = {
    (Role.REQUESTOR, False): _GRPCIO,
    (Role.REQUESTOR, True): _GRPCLIB,
    (Role.PROVIDER, False): _GRPCLIB,
    (Role.PROVIDER, True): _GRPCLIB,
}


def stack_for(role: Role, tls_on: bool) -> Stack:
    """The stack class `STACKS` names for this role and transport, imported."""
    module, _, name = STACKS[role, tls_on].partition(":")
    stack: Stack = getattr(importlib.import_module(module), name)
    return stack


def build_server(role: Role, ctx: CallContext) -> StackServer:
    """The stack for this role and transport (damaged TLS files: `tls.TlsFileError`)."""
    context = tls.server_context(ctx.work_dir)
    return stack_for(role, context is not None)(role, ctx, context)


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


forking.register(forking.ForkHooks(prewarm=prewarm, prepare_fork=prepare_fork))
