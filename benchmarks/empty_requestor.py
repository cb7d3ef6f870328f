"""An empty requestor: a bare `grpc.aio` server that answers without doing anything.

The ceiling `requestor_load.py` measures the real requestor against: the
same client, the same calls and the same node-side file work, but a server
that does no work of its own (canned replies, no state, no disk). Started
like an app: `python empty_requestor.py requestor PORT --work-dir DIR`.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import grpc
from golem_task_api.proto import golem_task_api_pb2 as pb
from golem_task_api.proto import golem_task_api_pb2_grpc as pb_grpc
from golem_task_api.wire import readiness
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]

#: The one input zip every subtask names (the load script writes it).
INPUT_NAME = "empty.zip"


class EmptyRequestor(pb_grpc.RequestorAppServicer):  # type: ignore[misc]
    def __init__(self, stop: asyncio.Event) -> None:
        self._stop = stop
        self._subtask = pb.NextSubtaskReply(
            subtask=pb.SubtaskReply(
                subtask_params_json='{"difficulty": 0, "resources": ["empty.zip"]}',
                resources=[INPUT_NAME],
            )
        )
        self._verified = pb.VerifyReply(result="SUCCESS", reason="nonce 0 gives a hash")

    async def NextSubtask(self, request: Any, context: Any) -> pb.NextSubtaskReply:
        return self._subtask

    async def Verify(self, request: Any, context: Any) -> pb.VerifyReply:
        return self._verified

    async def Shutdown(self, request: Any, context: Any) -> pb.ShutdownReply:
        self._stop.set()
        return pb.ShutdownReply()


async def serve(port: int) -> None:
    stop = asyncio.Event()
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    pb_grpc.add_RequestorAppServicer_to_server(EmptyRequestor(stop), server)
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await health.set("", health_pb2.HealthCheckResponse.SERVING)
    readiness.announce()
    await stop.wait()
    await asyncio.sleep(0.2)  # the Shutdown reply reaches the client first
    await server.stop(0.5)


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[2])))
