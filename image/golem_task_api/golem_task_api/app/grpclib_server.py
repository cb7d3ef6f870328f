"""The grpclib stack of the app server: providers, and every server under TLS.

It accepts TLS clients with or without ALPN and requires their certificate
(the context comes from `tls`). Its end is careful: after the last rpc the
server waits until each client confirms it has read everything sent (PING
and ACK, see `transport`), or hangs up, or `DELIVERY_GRACE_SECONDS` pass;
then it closes the TCP connections without a GOAWAY/PING behind a reply.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import ssl
import struct
from typing import cast

from google.protobuf.message import DecodeError, Message
from grpc_health.v1 import health_pb2
from grpclib.const import Cardinality, Handler, Status
from grpclib.encoding.proto import ProtoCodec
from grpclib.server import Stream

from golem_task_api.app.rpcs import TABLES, AnyRpc, CallContext, Role
from golem_task_api.app.stack import (
    DELIVERY_GRACE_SECONDS,
    MAX_REQUEST_BYTES,
    STOP_GRACE_SECONDS,
    RpcError,
    status_of,
)
from golem_task_api.wire.transport import TrackingServer

logger = logging.getLogger(__name__)

HEALTH_CHECK_PATH = "/grpc.health.v1.Health/Check"
_Stream = Stream[Message, Message]


async def read_request(stream: _Stream, request_type: type[Message]) -> Message:
    """The single request of a unary call, refusing one over `MAX_REQUEST_BYTES`."""
    raw = stream._stream  # grpclib would decode before any size check
    header = await raw.recv_data(5)
    if len(header) != 5:
        raise RpcError(Status.INVALID_ARGUMENT, "the call carries no request")
    compressed, length = struct.unpack(">?I", header)
    if compressed:
        raise RpcError(Status.UNIMPLEMENTED, "compressed requests are not supported")
    if length > MAX_REQUEST_BYTES:
        raise RpcError(
            Status.RESOURCE_EXHAUSTED,
            f"request of {length} bytes exceeds the limit of {MAX_REQUEST_BYTES}",
        )
    data = await raw.recv_data(length)
    try:
        return request_type.FromString(data)
    except DecodeError as exc:
        raise RpcError(Status.INVALID_ARGUMENT, f"the request cannot be parsed: {exc}") from None


class _Service:
    """The role's rpcs as grpclib handlers; enforces the provider's single shot."""

    def __init__(self, role: Role, ctx: CallContext) -> None:
        self.service_name, self.table = TABLES[role]
        self.ctx = ctx
        self.single_shot_taken = False
        self.in_flight: set[asyncio.Task[object]] = set()
        self.stopping = False

    def __mapping__(self) -> dict[str, Handler]:
        mapping = {
            rpc.method.path(self.service_name): Handler(
                self._bind(rpc),
                Cardinality.UNARY_UNARY,
                rpc.method.request_type,
                rpc.method.reply_type,
            )
            for rpc in self.table
        }
        mapping[HEALTH_CHECK_PATH] = Handler(
            self._health_check,
            Cardinality.UNARY_UNARY,
            health_pb2.HealthCheckRequest,
            health_pb2.HealthCheckResponse,
        )
        return mapping

    def _bind(self, rpc: AnyRpc) -> object:
        async def serve_rpc(stream: _Stream) -> None:
            await self._serve(rpc, stream)

        return serve_rpc

    async def _serve(self, rpc: AnyRpc, stream: _Stream) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.in_flight.add(task)
        try:
            try:
                request = await read_request(stream, rpc.method.request_type)
                if rpc.single_shot:
                    if self.single_shot_taken:
                        raise RpcError(
                            Status.FAILED_PRECONDITION,
                            "this provider server has already taken its one request",
                        )
                    self.single_shot_taken = True
                reply = await rpc.answer(self.ctx, request)
            except Exception as exc:
                status, details = status_of(rpc.method.name, exc)
                await stream.send_trailing_metadata(status=status, status_message=details)
            else:
                await stream.send_message(reply)
                await stream.send_trailing_metadata()
        finally:
            self.in_flight.discard(task)
            if rpc.single_shot and self.single_shot_taken:
                self.ctx.lifecycle.request_shutdown()

    async def _health_check(self, stream: _Stream) -> None:
        request = await read_request(stream, health_pb2.HealthCheckRequest)
        assert isinstance(request, health_pb2.HealthCheckRequest)
        if request.service not in ("", self.service_name):
            await stream.send_trailing_metadata(status=Status.NOT_FOUND)
            return
        serving = health_pb2.HealthCheckResponse.NOT_SERVING
        if not self.stopping:
            serving = health_pb2.HealthCheckResponse.SERVING
        await stream.send_message(health_pb2.HealthCheckResponse(status=serving))
        await stream.send_trailing_metadata()


def _all_interfaces(port: int) -> str:
    """The wildcard addresses, resolved here: given no host, asyncio asks a resolver
    thread (a thread start in every provider for a local lookup)."""
    found = socket.getaddrinfo(None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    hosts = list(dict.fromkeys(str(info[4][0]) for info in found))
    # asyncio's create_server takes a list of hosts; grpclib passes it on as it is.
    return cast(str, hosts)


class GrpclibAppServer:
    def __init__(self, role: Role, ctx: CallContext, context: ssl.SSLContext | None) -> None:
        self._service = _Service(role, ctx)
        # The codec named, so grpclib does not look for googleapis' status protos in
        # every provider (a failed import, a search of sys.path); we send no details.
        self._server = TrackingServer([self._service], codec=ProtoCodec())
        self._context = context

    async def start(self, port: int) -> None:
        """Listen on all interfaces (IPv4 only where there is no IPv6)."""
        context = self._context
        try:
            await self._server.start(_all_interfaces(port), port, ssl=context, reuse_port=False)
        except OSError as exc:
            if exc.errno not in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                raise OSError(exc.errno, f"cannot listen on port {port}: {exc.strerror}") from None
            await self._server.start("0.0.0.0", port, ssl=context, reuse_port=False)
        logger.info("listening on port %d (%s, grpclib)", port, "mTLS" if context else "plaintext")

    async def stop(self) -> None:
        self._service.stopping = True
        if self._service.in_flight:
            await asyncio.wait(set(self._service.in_flight), timeout=STOP_GRACE_SECONDS)
        await self._server.confirm_all_read(DELIVERY_GRACE_SECONDS)
        self._server.close()
        self._server.hang_up_all()
        await self._server.wait_closed()
