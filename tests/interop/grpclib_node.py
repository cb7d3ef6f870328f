"""Plays the Golem node's side of the wire the way the node does it: grpclib.

Its TLS context is shaped like the original package's (the client pair,
the server certificate to verify against, no host names) and offers no
ALPN. It polls health `Check("")` until SERVING, keeps its channel open
while it waits for a provider to exit, and closes it afterwards.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from pathlib import Path

from golem_task_api.wire import tls
from grpc_health.v1 import health_pb2
from grpclib.client import Channel, UnaryUnaryMethod
from grpclib.exceptions import GRPCError, StreamTerminatedError

HEALTH_CHECK = "/grpc.health.v1.Health/Check"


def node_context(work_dir: Path) -> ssl.SSLContext | None:
    """The node's client context for an app's work dir (None: plaintext)."""
    if not tls.tls_enabled(work_dir):
        return None
    # As the original's `create_default_context(SERVER_AUTH)`, minus the
    # system CA store it also loads (slow, and irrelevant to the wire).
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_cert_chain(work_dir / tls.CLIENT_CERT, work_dir / tls.CLIENT_KEY)
    context.load_verify_locations(work_dir / tls.SERVER_CERT)
    context.check_hostname = False
    return context  # no set_alpn_protocols: the node offers none


async def open_when_serving(work_dir: Path, port: int, timeout: float = 30.0) -> Channel:
    """A channel to the app on `port`, once its health says SERVING."""
    deadline = time.monotonic() + timeout
    context = node_context(work_dir)
    while True:
        channel = Channel("127.0.0.1", port, ssl=context)
        check = UnaryUnaryMethod(
            channel, HEALTH_CHECK, health_pb2.HealthCheckRequest, health_pb2.HealthCheckResponse
        )
        try:
            reply = await check(health_pb2.HealthCheckRequest(service=""), timeout=2.0)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return channel
        except (OSError, TimeoutError, GRPCError, StreamTerminatedError):
            pass
        channel.close()
        if time.monotonic() > deadline:
            raise TimeoutError(f"no SERVING on port {port} within {timeout} s")
        await asyncio.sleep(0.02)
