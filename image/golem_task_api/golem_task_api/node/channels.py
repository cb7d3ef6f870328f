"""The node side's connection to an app, on whichever gRPC stack fits.

* Mutual TLS: grpclib, as on the Golem node. With our context it offers ALPN
  `h2` and still reaches servers that select none (every app built on the
  original package); grpcio refuses those ("missing selected ALPN property").
* Plaintext: grpcio, whose C core keeps a busy requestor's throughput
  (measured against grpclib: see DESIGN, "Transport").

Either way a call is `await channel.call(service, method, request)` and
every failure is a `grpc.aio.AioRpcError` (`.code()`, `.details()`).
"""

from __future__ import annotations

import abc
from pathlib import Path
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
from grpclib.client import Channel, Handler, UnaryUnaryMethod
from grpclib.exceptions import GRPCError, ProtocolError, StreamTerminatedError
from grpclib.protocol import H2Protocol
from h2.exceptions import H2Error

from golem_task_api.wire import tls
from golem_task_api.wire.methods import Method, serialize
from golem_task_api.wire.transport import CoalescingProtocol

Req = TypeVar("Req", bound=Message)
Rep = TypeVar("Rep", bound=Message)

#: The first connection attempts are refused while the app starts; without
#: these grpcio backs off for a second or more before it tries again.
_GRPCIO_OPTIONS: list[tuple[str, Any]] = [
    ("grpc.initial_reconnect_backoff_ms", 50),
    ("grpc.min_reconnect_backoff_ms", 50),
    ("grpc.max_reconnect_backoff_ms", 500),
]


def rpc_error(code: grpc.StatusCode, details: str) -> grpc.aio.AioRpcError:
    """The error every failed call raises, whichever stack carried it."""
    return grpc.aio.AioRpcError(
        code, grpc.aio.Metadata(), grpc.aio.Metadata(), details, f"grpclib: {details}"
    )


class AppChannel(abc.ABC):
    """A connection to one app server."""

    @abc.abstractmethod
    async def call(
        self, service: str, method: Method[Req, Rep], request: Req, timeout: float | None = None
    ) -> Rep: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    async def __aenter__(self) -> AppChannel:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class _CoalescingChannel(Channel):
    """grpclib's channel; a request's headers and message leave in one write."""

    def _protocol_factory(self) -> H2Protocol:  # grpclib's hook for the connection
        return CoalescingProtocol(Handler(), self._config, self._h2_config)


class GrpclibChannel(AppChannel):
    def __init__(self, host: str, port: int, context: Any = None) -> None:
        self.channel: Channel = _CoalescingChannel(host, port, ssl=context)

    async def call(
        self, service: str, method: Method[Req, Rep], request: Req, timeout: float | None = None
    ) -> Rep:
        path = method.path(service)
        call = UnaryUnaryMethod(self.channel, path, method.request_type, method.reply_type)
        try:
            return await call(request, timeout=timeout)
        except GRPCError as exc:
            raise rpc_error(grpc.StatusCode[exc.status.name], exc.message or "") from exc
        except TimeoutError as exc:
            raise rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded") from exc
        except (StreamTerminatedError, ProtocolError, H2Error, OSError) as exc:
            details = f"{type(exc).__name__}: {exc}"
            raise rpc_error(grpc.StatusCode.UNAVAILABLE, details) from exc

    async def close(self) -> None:
        self.channel.close()


class GrpcioChannel(AppChannel):
    def __init__(self, host: str, port: int) -> None:
        self.channel = grpc.aio.insecure_channel(f"{host}:{port}", options=_GRPCIO_OPTIONS)

    async def call(
        self, service: str, method: Method[Req, Rep], request: Req, timeout: float | None = None
    ) -> Rep:
        call = self.channel.unary_unary(
            method.path(service),
            request_serializer=serialize,
            response_deserializer=method.reply_type.FromString,
        )
        reply: Rep = await call(request, timeout=timeout)
        return reply

    async def close(self) -> None:
        await self.channel.close(None)


def open_channel(work_dir: Path, host: str, port: int) -> AppChannel:
    """Mutual TLS when the work dir holds the files, else plaintext.

    A damaged TLS file raises `tls.TlsFileError` naming it.
    """
    context = tls.client_context(work_dir)
    if context is None:
        return GrpcioChannel(host, port)
    return GrpclibChannel(host, port, context)
