"""The grpcio stack of the app server: the requestor in plaintext.

grpcio's C core keeps the requestor's throughput (measured against grpclib:
see DESIGN, "Transport"). grpcio cannot show whether a client has read a
reply, and its stop sends GOAWAY and PING at once, so after the final reply
(`Shutdown`) it serves on for `LAST_REPLY_GRACE_SECONDS` before stopping.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]

from golem_task_api.app.rpcs import TABLES, AnyRpc, CallContext, Role
from golem_task_api.app.stack import STOP_GRACE_SECONDS, status_of
from golem_task_api.wire.methods import serialize

logger = logging.getLogger(__name__)

#: How long the requestor serves on after its last reply (it cannot tell
#: when the client has read it); once per requestor, so it costs little.
LAST_REPLY_GRACE_SECONDS = 0.5

#: No SO_REUSEPORT: two servers must never silently share a port.
_SERVER_OPTIONS = [("grpc.so_reuseport", 0)]


def _method_handler(rpc: AnyRpc, ctx: CallContext) -> grpc.RpcMethodHandler[Any, Any]:
    async def behaviour(
        request: Message, context: grpc.aio.ServicerContext[Message, Message]
    ) -> Message:
        try:
            return await rpc.answer(ctx, request)
        except Exception as exc:
            status, details = status_of(rpc.method.name, exc)
            await context.abort(grpc.StatusCode[status.name], details)
            raise  # abort raises; this is never reached

    return grpc.unary_unary_rpc_method_handler(
        behaviour,
        request_deserializer=rpc.method.request_type.FromString,
        response_serializer=serialize,
    )


class GrpcioAppServer:
    def __init__(self, role: Role, ctx: CallContext, context: ssl.SSLContext | None) -> None:
        if context is not None:
            raise ValueError("the grpcio stack serves plaintext only (TLS: grpclib)")
        service_name, table = TABLES[role]
        self._service_name = service_name
        handlers = {rpc.method.name: _method_handler(rpc, ctx) for rpc in table}
        self._server = grpc.aio.server(options=_SERVER_OPTIONS)
        self._server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(service_name, handlers),)
        )
        self._health = health_aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)

    async def start(self, port: int) -> None:
        """Listen on all interfaces (IPv4 only where there is no IPv6)."""
        last_error: Exception | None = None
        for host in ("[::]", "0.0.0.0"):
            try:
                bound = self._server.add_insecure_port(f"{host}:{port}")
            except RuntimeError as exc:
                last_error = exc
                continue
            if bound:
                break
        else:
            raise OSError(f"cannot listen on port {port}: {last_error}")
        await self._server.start()
        for name in ("", self._service_name):
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        logger.info("listening on port %d (plaintext, grpcio)", port)

    async def stop(self) -> None:
        await self._health.enter_graceful_shutdown()
        # Serving on: the Shutdown reply (or any other last one) reaches the
        # client before GOAWAY/PING can land in the same read.
        await asyncio.sleep(LAST_REPLY_GRACE_SECONDS)
        await self._server.stop(STOP_GRACE_SECONDS)
