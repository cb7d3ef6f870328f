"""A stand-in for an app built on the original package: a grpclib server whose
TLS context selects no ALPN (and, like the original, never asks for a client
certificate). Started as `python standin_app.py requestor|provider PORT
--work-dir DIR`; the grpclib stubs come from $INTEROP_GRPCLIB_STUBS.

The task: each subtask gets a line of the input; the provider upper-cases it;
`Verify` checks that and keeps the result in `task_outputs`.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import sys
from pathlib import Path
from typing import Any

# Run as a script (`python standin_app.py`): its own directory is on sys.path.
import grpclib_stubs
from golem_task_api.proto import golem_task_api_pb2 as pb
from golem_task_api.wire import tls
from grpclib.health.service import Health
from grpclib.server import Server, Stream

stubs = grpclib_stubs.load()


def server_context(work: Path) -> ssl.SSLContext | None:
    if not tls.tls_enabled(work):
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # no ALPN set: selects none
    context.load_cert_chain(work / tls.SERVER_CERT, work / tls.SERVER_KEY)
    context.load_verify_locations(work / tls.CLIENT_CERT)
    return context


class Requestor(stubs.RequestorAppBase):  # type: ignore[misc,name-defined]
    def __init__(self, work: Path, stop: asyncio.Event) -> None:
        self.work, self.stop = work, stop

    def _state(self, task_id: str) -> tuple[Path, dict[str, Any]]:
        path = self.work / task_id / "standin.json"
        return path, json.loads(path.read_text())

    async def CreateTask(self, stream: Stream[Any, Any]) -> None:
        request = await stream.recv_message()
        task = self.work / request.task_id
        params = json.loads(request.task_params_json)
        lines: list[str] = []
        for name in params["resources"]:
            lines += (task / "task_inputs" / name).read_text().split()
        lines = lines[: request.max_subtasks_count]
        state = {"lines": lines, "assigned": {}, "done": []}
        (task / "standin.json").write_text(json.dumps(state))
        await stream.send_message(pb.CreateTaskReply(env_id="docker_cpu", prerequisites_json="{}"))

    async def NextSubtask(self, stream: Stream[Any, Any]) -> None:
        request = await stream.recv_message()
        path, state = self._state(request.task_id)
        free = [i for i in range(len(state["lines"])) if i not in state["done"]]
        free = [i for i in free if i not in state["assigned"].values()]
        if not free:
            await stream.send_message(pb.NextSubtaskReply())
            return
        state["assigned"][request.subtask_id] = free[0]
        path.write_text(json.dumps(state))
        name = f"{request.subtask_id}.in"
        (path.parent / "subtask_inputs" / name).write_text(state["lines"][free[0]])
        params = json.dumps({"input": name})
        reply = pb.SubtaskReply(subtask_params_json=params, resources=[name])
        await stream.send_message(pb.NextSubtaskReply(subtask=reply))

    async def Verify(self, stream: Stream[Any, Any]) -> None:
        request = await stream.recv_message()
        path, state = self._state(request.task_id)
        part = state["assigned"].pop(request.subtask_id)
        result = path.parent / "subtask_outputs" / request.subtask_id / f"{request.subtask_id}.out"
        good = result.is_file() and result.read_text() == state["lines"][part].upper()
        if good:
            state["done"].append(part)
            shutil.copy(result, path.parent / "task_outputs" / result.name)
        path.write_text(json.dumps(state))
        verdict = pb.VerifyReply.SUCCESS if good else pb.VerifyReply.FAILURE
        await stream.send_message(pb.VerifyReply(result=verdict, reason="" if good else "wrong"))

    async def DiscardSubtasks(self, stream: Stream[Any, Any]) -> None:
        await stream.recv_message()
        await stream.send_message(pb.DiscardSubtasksReply())

    async def RunBenchmark(self, stream: Stream[Any, Any]) -> None:
        await stream.recv_message()
        await stream.send_message(pb.RunBenchmarkReply(score=1.0))

    async def HasPendingSubtasks(self, stream: Stream[Any, Any]) -> None:
        request = await stream.recv_message()
        _, state = self._state(request.task_id)
        busy = set(state["done"]) | set(state["assigned"].values())
        pending = len(busy) < len(state["lines"])
        await stream.send_message(pb.HasPendingSubtasksReply(has_pending_subtasks=pending))

    async def AbortTask(self, stream: Stream[Any, Any]) -> None:
        await stream.recv_message()
        await stream.send_message(pb.AbortTaskReply())

    async def AbortSubtask(self, stream: Stream[Any, Any]) -> None:
        request = await stream.recv_message()
        path, state = self._state(request.task_id)
        state["assigned"].pop(request.subtask_id, None)
        path.write_text(json.dumps(state))
        await stream.send_message(pb.AbortSubtaskReply())

    async def Shutdown(self, stream: Stream[Any, Any]) -> None:
        await stream.recv_message()
        await stream.send_message(pb.ShutdownReply())
        self.stop.set()


class Provider(stubs.ProviderAppBase):  # type: ignore[misc,name-defined]
    def __init__(self, work: Path, stop: asyncio.Event) -> None:
        self.work, self.stop = work, stop

    async def Compute(self, stream: Stream[Any, Any]) -> None:
        request = await stream.recv_message()
        params = json.loads(request.subtask_params_json)
        text = (self.work / "subtask_inputs" / params["input"]).read_text()
        name = f"{request.subtask_id}.out"
        (self.work / name).write_text(text.upper())
        await stream.send_message(pb.ComputeReply(output_filepath=name))
        self.stop.set()

    async def RunBenchmark(self, stream: Stream[Any, Any]) -> None:
        await stream.recv_message()
        await stream.send_message(pb.RunBenchmarkReply(score=1.0))
        self.stop.set()

    async def Shutdown(self, stream: Stream[Any, Any]) -> None:
        await stream.recv_message()
        await stream.send_message(pb.ShutdownReply())
        self.stop.set()


async def main(role: str, port: int, work: Path) -> None:
    stop = asyncio.Event()
    app = Requestor(work, stop) if role == "requestor" else Provider(work, stop)
    server = Server([app, Health()])  # grpclib's own health service, as the original
    await server.start("127.0.0.1", port, ssl=server_context(work))
    await stop.wait()
    await asyncio.sleep(0.2)  # as the original: nothing sent behind the reply
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(
        main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[sys.argv.index("--work-dir") + 1]))
    )
