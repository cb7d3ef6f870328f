"""The HTTP/2 server under our gRPC server: grpclib, with its connections in view.

grpclib (the stack the original package and the Golem node use) is chosen
for the server because it lets us own the TLS context (select `h2` when a
client offers ALPN, accept clients that offer none, require a client
certificate) and the end of a connection. The end matters: a final reply
followed at once by GOAWAY/PING can be dropped by an `h2`-based client that
reads both in one go. So before the server stops, every open connection
gets one PING after everything already sent, and the server waits for its
ACK (or for the client to hang up), bounded by a short grace: an ACK means
the client has read the reply that went before it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from typing import Any, cast

from grpclib.protocol import H2Protocol
from grpclib.server import Handler, Server
from h2.events import PingAckReceived

logger = logging.getLogger(__name__)


class CoalescedWrites:
    """A transport whose writes of one event-loop turn go out as one write.

    grpclib writes a reply's headers, message and trailers separately; under
    TLS each write is a record and a send(), and the peer wakes for each.
    Buffered until the loop's next turn, they leave together, in order.
    """

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._pending: list[bytes] = []
        self._loop = asyncio.get_running_loop()

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(data)

    def flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, []
            self._transport.write(b"".join(pending))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending = []
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingProtocol(H2Protocol):
    """grpclib's HTTP/2 protocol, writing through `CoalescedWrites`."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(cast(asyncio.Transport, CoalescedWrites(transport)))


class TrackedProtocol(CoalescingProtocol):
    """One client connection; knows when the client has read all we sent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lost = asyncio.Event()
        self._acked = asyncio.Event()
        self._ping_data = b""
        self.made = False  # a failed TLS handshake never gets this far

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.made = True
        previous = cast(
            Callable[[PingAckReceived], None], self.processor.processors[PingAckReceived]
        )

        def on_ping_ack(event: PingAckReceived) -> None:
            if event.ping_data == self._ping_data:
                self._acked.set()
            previous(event)

        self.processor.processors[PingAckReceived] = on_ping_ack

    def connection_lost(self, exc: BaseException | None) -> None:
        self.lost.set()
        super().connection_lost(exc)

    async def confirm_read(self) -> None:
        """Return once the client has read everything sent so far (or is gone)."""
        if not self.made or self.lost.is_set() or self.connection.is_closing():
            return
        self._ping_data = os.urandom(8)
        self._acked.clear()
        self.connection._connection.ping(self._ping_data)  # grpclib has no API for it
        self.connection.flush()
        waits = [asyncio.ensure_future(e.wait()) for e in (self._acked, self.lost)]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    def hang_up(self) -> None:
        """Close the TCP connection after what is buffered (no GOAWAY behind a reply)."""
        if self.made and not self.lost.is_set() and not self.connection.is_closing():
            self.connection.close()


class TrackingServer(Server):
    """grpclib's server, keeping each connection so the end can be handled with care."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.protocols: set[TrackedProtocol] = set()

    def _protocol_factory(self) -> H2Protocol:  # grpclib's hook for new connections
        self.__gc_step__()
        handler = Handler(self._mapping, self._codec, self._status_details_codec, self.__dispatch__)
        self._handlers.add(handler)
        self.protocols = {p for p in self.protocols if not p.lost.is_set()}
        protocol = TrackedProtocol(handler, self._config, self._h2_config)
        self.protocols.add(protocol)
        return protocol

    async def confirm_all_read(self, grace: float) -> None:
        """Wait until every client has read what it was sent, at most `grace` s."""
        live = [p for p in self.protocols if not p.lost.is_set()]
        if not live:
            return
        try:
            await asyncio.wait_for(asyncio.gather(*(p.confirm_read() for p in live)), grace)
        except TimeoutError:
            logger.info("a client did not confirm its last reply within %.1f s", grace)

    def hang_up_all(self) -> None:
        for protocol in self.protocols:
            protocol.hang_up()
