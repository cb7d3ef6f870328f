"""The fork server: a small parent that has imported an app and forks its processes.

    python -m golem_task_api.node.services.forkserver --control-fd FD MODULE

Starting a Python app costs its imports (a tenth of a second or more); a
local network starts one provider per subtask. This parent imports the app's
entry-point MODULE once, keeps a few idle children forked in advance (a warm
pool), and on each request hands the argv to one of them, which becomes the
app: its own session, its own pid, `MODULE` run as `__main__` exactly as
`python -m MODULE ARGV...` would. Nothing here starts gRPC, so the children
start theirs on a clean slate (gRPC must not be running across a fork): the
parent refuses to serve if importing the app left a thread running.

The node talks to it over one socket, JSON lines both ways (see `forked`):
`{"op": "start", "id", "argv", "env"}` and `{"op": "signal", "id", "sig"}` in;
`{"hello", "ready_signal"}`, `{"id", "pid"}`, `{"id", "ready"}`, `{"id",
"exit"}` and `{"id", "error"}` out. When the socket closes, every child is killed.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import os
import select
import signal
import socket
import sys
import traceback
from dataclasses import dataclass
from typing import Any

from golem_task_api.node.services.forkchild import (
    MAX_LINE,
    MainCode,
    die_with_parent,
    read_line,
    run_app,
)
from golem_task_api.wire import forking

#: Children forked ahead of requests (one per provider slot of a local run).
DEFAULT_WARM = 2


@dataclass
class _Child:
    pid: int
    fd: int  # our end of the child's socket pair: the request goes out, `R` comes back
    request_id: int | None = None
    listening: bool = True  # until it said `R` or closed its end


def _thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


class ForkServer:
    def __init__(
        self, control: socket.socket, main: MainCode, warm: int, hooks: forking.ForkHooks | None
    ) -> None:
        self.control = control
        self.hooks = hooks  # the app's (`wire.forking`), if it is built on this package
        self.ready_signal = hooks is not None and hooks.announces_ready
        self.main = main
        self.warm = max(1, warm)
        self.idle: list[_Child] = []
        self.busy: dict[int, _Child] = {}  # by pid
        self.inbox = b""
        self.wake_r, wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)

    # -- the parent ---------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        self.control.sendall(json.dumps(message).encode() + b"\n")

    def serve(self) -> None:
        self.refill()
        while True:
            starting = [c.fd for c in self.busy.values() if c.listening]
            fds = [self.control.fileno(), self.wake_r, *starting]
            readable, _, _ = select.select(fds, [], [])
            if self.wake_r in readable:
                with contextlib.suppress(BlockingIOError):
                    os.read(self.wake_r, 4096)
            self.reap()
            for child in list(self.busy.values()):
                if child.fd in readable:
                    self.child_said(child)
            if self.control.fileno() in readable and not self.read_requests():
                return
            if not any(c.listening for c in self.busy.values()) or not self.ready_signal:
                self.refill()  # not while an app is starting: it needs the CPU more

    def refill(self) -> None:
        while len(self.idle) < self.warm:
            self.idle.append(self.fork_idle())

    def read_requests(self) -> bool:
        try:
            data = self.control.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            return False
        self.inbox += data
        if len(self.inbox) > MAX_LINE and b"\n" not in self.inbox:
            return False
        while b"\n" in self.inbox:
            line, self.inbox = self.inbox.split(b"\n", 1)
            self.handle(json.loads(line))
        return True

    def handle(self, request: dict[str, Any]) -> None:
        request_id = int(request["id"])
        if request["op"] == "signal":
            child = next((c for c in self.busy.values() if c.request_id == request_id), None)
            if child is not None:  # not reaped yet, so the pid is still this child's
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child.pid, int(request["sig"]))
            return
        if not self.idle:
            self.refill()
        child = self.idle.pop(0)
        payload = json.dumps({"argv": request["argv"], "env": request.get("env")}).encode()
        try:
            os.write(child.fd, payload + b"\n")
        except OSError as exc:
            self.send({"id": request_id, "error": f"the forked child is gone: {exc}"})
            return
        child.request_id = request_id
        self.busy[child.pid] = child
        self.send({"id": request_id, "pid": child.pid})
        if self.hooks is not None:
            self.hooks.prepare_fork(request["argv"])  # for the children forked from now on

    def child_said(self, child: _Child) -> None:
        try:
            data = os.read(child.fd, 16)
        except OSError:
            data = b""
        child.listening = False  # one byte means SERVING; nothing means it is exiting
        if data and child.request_id is not None:
            self.send({"id": child.request_id, "ready": True})

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            code = os.waitstatus_to_exitcode(status)
            child = self.busy.pop(pid, None)
            if child is None:  # an idle child died: drop it, refill later
                for idle in [c for c in self.idle if c.pid == pid]:
                    self.idle.remove(idle)
                    os.close(idle.fd)
                continue
            os.close(child.fd)
            self.send({"id": child.request_id, "exit": code})

    def kill_all(self) -> None:
        """Kill every child's session and reap the children, so none outlives us."""
        kill_and_reap([child.pid for child in [*self.idle, *self.busy.values()]])

    # -- the child ----------------------------------------------------------------

    def fork_idle(self) -> _Child:
        ours, theirs = socket.socketpair()
        our_fd, their_fd = ours.detach(), theirs.detach()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            die_with_parent(parent)
            os.close(our_fd)
            self.become_app(their_fd)  # never returns
        os.close(their_fd)
        return _Child(pid, our_fd)

    def become_app(self, fd: int) -> None:
        """In the forked child: wait for the request, then run the app as `__main__`."""
        code = 1
        try:
            os.setsid()
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            for other in (self.control.fileno(), self.wake_r, *(c.fd for c in self.idle)):
                with contextlib.suppress(OSError):
                    os.close(other)
            for child in self.busy.values():
                with contextlib.suppress(OSError):
                    os.close(child.fd)
            request = json.loads(read_line(fd))
            code = run_app(self.main, request["argv"], request.get("env"), fd)
        except SystemExit as exc:  # unused, and the fork server went away: quietly
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:  # nothing may return into the parent's loop
            traceback.print_exc()
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)


def kill_and_reap(pids: list[int]) -> None:
    """SIGKILL each child and its session, then reap it.

    The pid itself too: a child forked a moment ago may not have its own
    session yet, and waiting for one that was not killed would never end.
    """
    for pid in pids:
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill(pid, signal.SIGKILL)
    for pid in pids:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _refuse(control: socket.socket, reason: str) -> int:
    """Say why this fork server cannot serve, as its hello; the exit status."""
    hello = {"hello": os.getpid(), "error": reason}
    control.sendall(json.dumps(hello).encode() + b"\n")
    return 1


def _exit_on_signal(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: nothing may cut the cleanup short
    raise SystemExit(0)  # unwinds through `main`'s `finally`, which kills the children


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="golem_task_api.node.services.forkserver")
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--warm", type=int, default=DEFAULT_WARM)
    parser.add_argument("module")
    args = parser.parse_args(argv)
    die_with_parent()  # (and loads ctypes once, for the children)
    control = socket.socket(fileno=args.control_fd)
    control.setblocking(True)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the node stops us by closing the socket
    signal.signal(signal.SIGTERM, _exit_on_signal)  # or by SIGTERM as it exits: clean up first
    try:
        # What every asyncio app loads on first use (`to_thread`), once, here.
        importlib.import_module("concurrent.futures.thread")
        importlib.import_module(args.module)
        hooks = forking.registered()  # registered by the app side as the app was imported
        if hooks is not None:
            hooks.prewarm()
        main_code = MainCode.load(args.module)
    except BaseException as exc:
        return _refuse(control, f"cannot import {args.module}: {exc!r}")
    if _thread_count() != 1:
        return _refuse(control, f"importing {args.module} started threads")
    # Objects made so far live as long as we do: keep the collector off them, so
    # a child's collections neither walk nor copy (touch) the parent's pages.
    gc.freeze()
    server = ForkServer(control, main_code, args.warm, hooks)
    try:
        server.send({"hello": os.getpid(), "ready_signal": server.ready_signal})
        server.serve()
    except (OSError, ValueError, KeyError) as exc:
        print(f"fork server: {exc!r}", file=sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # we are stopping anyway
        server.kill_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
