"""Apps started by a fork server (see `forkserver`), seen from the node.

`ForkingServices(command)` is a `ServiceFactory` for `python -m MODULE`
commands: each service it makes runs one app process forked from a shared
fork server that has MODULE imported, with the work dir on its command line
as `ProcessTaskApiService` passes it. A command of another shape, or an app
the fork server cannot import or fork safely, falls back to plain process
starts. Apps built on this package announce SERVING through
`golem_task_api.wire.readiness`; `wait_ready` lets a client skip health polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from golem_task_api.node.services.base import TaskApiService, wait_for_exit
from golem_task_api.node.services.forkclient import ForkedChild, ForkServerClient, live_groups
from golem_task_api.node.services.process import ProcessTaskApiService

logger = logging.getLogger(__name__)

_PYTHONS = {sys.executable, "python", "python3", f"python3.{sys.version_info.minor}"}


def forkable_module(command: Sequence[str]) -> str | None:
    """MODULE if `command` is exactly `<this python> -m MODULE`, else None."""
    if len(command) == 3 and command[0] in _PYTHONS and command[1] == "-m":
        return command[2]
    return None


class _Servers:
    """The fork server of the running loop for one module (started on first use)."""

    def __init__(self, module: str, warm: int) -> None:
        self.module = module
        self.warm = warm
        self.failed = False
        self._client: ForkServerClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None

    async def get(self) -> ForkServerClient | None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new run: the old loop's server cannot serve it
            if self._client is not None:
                with contextlib.suppress(RuntimeError):
                    self._client.close()
            self._client, self._loop, self._lock = None, loop, asyncio.Lock()
        assert self._lock is not None
        async with self._lock:
            if self.failed:
                return None
            if self._client is None or not self._client.alive():
                client = ForkServerClient(self.module, self.warm)
                try:
                    await client.start()
                except (RuntimeError, OSError, TimeoutError, ValueError) as exc:
                    logger.info("cannot fork %s (%s); starting plain processes", self.module, exc)
                    self.failed = True
                    return None
                self._client = client
            return self._client

    def pid(self) -> int | None:
        return self._client.pid() if self._client is not None else None

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


class ForkedTaskApiService(TaskApiService):
    """One app process forked by the fork server; a plain process if it cannot be."""

    def __init__(self, work_dir: Path, servers: _Servers, fallback: ProcessTaskApiService) -> None:
        self.work_dir = Path(work_dir)
        self.stop_grace = fallback.stop_grace
        self._servers = servers
        self._fallback = fallback
        self._plain = False
        self._server: ForkServerClient | None = None
        self._request_id = 0
        self._child: ForkedChild | None = None

    @property
    def pid(self) -> int | None:
        if self._plain:
            return self._fallback.pid
        return self._child.pid if self._child else None

    async def start(self, command: list[str], port: int) -> tuple[str, int]:
        if self.running():
            raise RuntimeError("the service is already running")
        server = await self._servers.get()
        if server is None:
            self._plain = True
            return await self._fallback.start(command, port)
        args = [*command, "--work-dir", str(self.work_dir)]
        self._server = server
        try:
            self._request_id, self._child = await server.spawn(args, self._fallback.env)
        except RuntimeError as exc:  # the fork server died: a failed start, as for a process
            raise OSError(f"could not fork the app: {exc}") from exc
        return self._fallback.host, port

    async def wait_ready(self, timeout: float | None = None) -> bool:
        if self._plain or self._server is None or not self._server.ready_signal:
            return False
        child = self._child
        assert child is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(child.ready.wait(), timeout)
        return child.ready.is_set() and not child.exited.done()

    def running(self) -> bool:
        if self._plain:
            return self._fallback.running()
        return self._child is not None and not self._child.exited.done()

    async def wait_until_shutdown_complete(self, timeout: float | None = None) -> None:
        if self._plain:
            return await self._fallback.wait_until_shutdown_complete(timeout)
        child = self._child
        if child is None:
            return
        still_running = f"the app (pid {child.pid}) is still running"
        await wait_for_exit(asyncio.shield(child.exited), timeout, still_running)
        self._reap_group(child)

    async def stop(self) -> None:
        if self._plain:
            return await self._fallback.stop()
        child, server = self._child, self._server
        if child is None or server is None:
            return
        if not child.exited.done():
            server.signal(self._request_id, signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.shield(child.exited), self.stop_grace)
            except TimeoutError:
                logger.warning("pid %d ignored SIGTERM; killing it", child.pid)
                server.signal(self._request_id, signal.SIGKILL)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(child.exited), self.stop_grace)
        self._reap_group(child)

    def _reap_group(self, child: ForkedChild) -> None:
        """Kill what the app left behind in its session (once, right after it exited)."""
        if child.pid in live_groups:
            live_groups.discard(child.pid)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signal.SIGKILL)


class ForkingServices:
    """A `ServiceFactory` for `command`: forked from a fork server if it is `python -m MODULE`."""

    def __init__(
        self, command: Sequence[str], env: dict[str, str] | None = None, *, warm: int = 2
    ) -> None:
        self.command = list(command)
        self.env = env
        module = forkable_module(command)
        self._servers = _Servers(module, warm) if module is not None else None

    def __call__(self, work_dir: Path) -> TaskApiService:
        plain = ProcessTaskApiService(work_dir, self.command, self.env)
        if self._servers is None:
            return plain
        return ForkedTaskApiService(work_dir, self._servers, plain)

    @property
    def fork_server_pid(self) -> int | None:
        """The running fork server's pid (None before the first start or if plain)."""
        return self._servers.pid() if self._servers is not None else None

    async def aclose(self) -> None:
        """Stop the fork server; it kills any app it forked that is still running."""
        if self._servers is not None:
            await self._servers.aclose()
