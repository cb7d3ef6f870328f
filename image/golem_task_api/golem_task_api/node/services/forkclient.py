"""The node's end of a fork server's socket (see `forkserver` for the other end).

One `ForkServerClient` runs one fork server process for one event loop and
tracks the app processes it forked: their pid, when they said they are
SERVING, and their exit status, all reported by the fork server.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

#: How long the fork server may take to import the app and say hello.
HELLO_TIMEOUT = 60.0


@dataclass
class ForkedChild:
    pid: int
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    exited: asyncio.Future[int] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class ForkServerClient:
    """One fork server process for one event loop, and the children it forked."""

    def __init__(self, module: str, warm: int) -> None:
        self.module = module
        self.warm = warm
        self.ready_signal = False
        self._ids = 0
        self._started: dict[int, asyncio.Future[ForkedChild]] = {}
        self._children: dict[int, ForkedChild] = {}
        # subprocess, not asyncio's: the fork server may outlive the loop that started it.
        self._process: subprocess.Popen[bytes] | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the fork server; `RuntimeError` if it cannot serve this app."""
        ours, theirs = socket.socketpair()
        with theirs:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "golem_task_api.node.services.forkserver",
                    "--control-fd",
                    str(theirs.fileno()),
                    "--warm",
                    str(self.warm),
                    self.module,
                ],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        live_servers.add(self._process)
        reader, self._writer = await asyncio.open_unix_connection(sock=ours)
        hello_line = await asyncio.wait_for(reader.readline(), HELLO_TIMEOUT)
        hello = json.loads(hello_line or b"{}")
        if "error" in hello or "hello" not in hello:
            self.close()
            raise RuntimeError(hello.get("error", "the fork server exited at start"))
        self.ready_signal = bool(hello.get("ready_signal"))
        self._reader_task = asyncio.create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while line := await reader.readline():
                self._dispatch(json.loads(line))
        finally:  # the fork server is gone: nothing will report these children
            if self._writer is not None:
                self._writer.close()  # not `alive()` any more: the next start makes another
            for future in self._started.values():
                if not future.done():
                    future.set_exception(RuntimeError("the fork server exited"))
            for child in self._children.values():
                if not child.exited.done():
                    child.exited.set_result(-1)

    def _dispatch(self, message: dict[str, Any]) -> None:
        request_id = int(message["id"])
        if "pid" in message or "error" in message:
            future = self._started.pop(request_id)
            if "error" in message:
                if not future.done():
                    future.set_exception(RuntimeError(message["error"]))
                return
            child = ForkedChild(int(message["pid"]))
            self._children[request_id] = child
            if future.done():  # whoever asked was cancelled meanwhile: nobody owns it
                self.signal(request_id, signal.SIGKILL)
                return
            future.set_result(child)
        elif "ready" in message:
            self._children[request_id].ready.set()
        elif "exit" in message:
            child = self._children.pop(request_id)
            child.ready.set()  # wake waiters: `exited` tells them it is not ready
            child.exited.set_result(int(message["exit"]))

    def _send(self, message: dict[str, Any]) -> None:
        if self._writer is None or self._writer.is_closing():
            raise RuntimeError("the fork server is not running")
        self._writer.write(json.dumps(message).encode() + b"\n")

    async def spawn(self, argv: list[str], env: dict[str, str] | None) -> tuple[int, ForkedChild]:
        self._ids += 1
        request_id = self._ids
        future = asyncio.get_running_loop().create_future()
        self._started[request_id] = future
        self._send({"op": "start", "id": request_id, "argv": argv, "env": env})
        child: ForkedChild = await future
        live_groups.add(child.pid)
        return request_id, child

    def signal(self, request_id: int, signum: int) -> None:
        with contextlib.suppress(RuntimeError):
            self._send({"op": "signal", "id": request_id, "sig": int(signum)})

    def alive(self) -> bool:
        return self._writer is not None and not self._writer.is_closing()

    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def aclose(self) -> None:
        """Close, and wait until the fork server has exited."""
        self.close()
        if self._process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(self._process.wait, HELLO_TIMEOUT)
            live_servers.discard(self._process)

    def close(self) -> None:
        """Closing the socket makes the fork server kill its children and exit."""
        if self._writer is not None:
            self._writer.close()
        if self._reader_task is not None:
            self._reader_task.cancel()


live_groups: set[int] = set()


#: Fork servers still running (stopped and awaited at exit, so none outlives the node).
live_servers: set[subprocess.Popen[bytes]] = set()


@atexit.register
def _kill_leftovers() -> None:
    for pgid in list(live_groups):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    for process in list(live_servers):
        process.terminate()
    for process in list(live_servers):
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5.0)
