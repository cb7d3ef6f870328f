"""Run an app's handlers inside the calling event loop (fast tests, no process).

Serves the same `server.serve` as the entry point, so everything on the wire
is real. Caveat: `threading.Executor`'s shutdown flag is process-wide; it is
reset whenever a server starts here, so a provider's `Shutdown` is visible to
other in-process servers until then.
"""

import asyncio
import contextlib
from pathlib import Path

from golem_task_api.app.handlers import AppLifecycleHandler, ProviderAppHandler, RequestorAppHandler
from golem_task_api.app.rpcs import Role
from golem_task_api.app.server import serve
from golem_task_api.app.threading import Executor
from golem_task_api.node.services.base import TaskApiService, wait_for_exit


class InProcessTaskApiService(TaskApiService):
    def __init__(
        self,
        work_dir: Path,
        *,
        requestor_handler: RequestorAppHandler | None = None,
        provider_handler: ProviderAppHandler | None = None,
        lifecycle_handler: AppLifecycleHandler | None = None,
    ) -> None:
        self.work_dir = Path(work_dir)
        self.requestor_handler = requestor_handler
        self.provider_handler = provider_handler
        self.lifecycle = lifecycle_handler or AppLifecycleHandler()
        self._task: asyncio.Task[None] | None = None

    async def start(self, command: list[str], port: int) -> tuple[str, int]:
        if self.running():
            raise RuntimeError("the service is already running")
        role = Role(command[0])
        handler = self.requestor_handler if role is Role.REQUESTOR else self.provider_handler
        if handler is None:
            raise ValueError(f"no {role.value} handler given")
        Executor.reset()
        self._task = asyncio.create_task(serve(role, self.work_dir, port, handler, self.lifecycle))
        return "127.0.0.1", port

    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def wait_until_shutdown_complete(self, timeout: float | None = None) -> None:
        if self._task is None:
            return
        still_running = "the in-process server is still running"
        await wait_for_exit(asyncio.shield(self._task), timeout, still_running)

    async def stop(self) -> None:
        if self._task is None:
            return
        self.lifecycle.request_shutdown()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), 5.0)
        except TimeoutError:
            self._task.cancel()
        # A server that failed has already reported it to whoever waited on it.
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
