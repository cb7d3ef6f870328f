"""0.24's server objects (`server.AppServer`, `RequestorAppServer`, `ProviderAppServer`).

Thin handles on `server.serve`: `start()` returns once the server is
serving, `wait_until_shutdown()` until shutdown is requested, `stop()`
shuts it down and waits for the end. TLS comes from the work dir's files
(0.24 built an `ssl.SSLContext` from the same files).
"""

import asyncio
import contextlib
from pathlib import Path

from golem_task_api.app.handlers import AppLifecycleHandler, ProviderAppHandler, RequestorAppHandler
from golem_task_api.app.rpcs import Role
from golem_task_api.app.server import serve


class _StartSignal(AppLifecycleHandler):
    """Forwards every hook to the app's lifecycle and notes when the server is up."""

    def __init__(self, inner: AppLifecycleHandler) -> None:
        super().__init__()
        self.inner = inner
        self.started = asyncio.Event()

    async def on_before_startup(self) -> None:
        await self.inner.on_before_startup()

    async def on_after_startup(self) -> None:
        await self.inner.on_after_startup()
        self.started.set()

    async def on_before_shutdown(self) -> None:
        await self.inner.on_before_shutdown()

    async def on_after_shutdown(self) -> None:
        await self.inner.on_after_shutdown()

    def request_shutdown(self) -> None:
        self.inner.request_shutdown()

    @property
    def shutdown_is_requested(self) -> bool:
        return self.inner.shutdown_is_requested

    async def shutdown_requested(self) -> None:
        await self.inner.shutdown_requested()


class AppServer:
    def __init__(
        self,
        work_dir: Path,
        port: int,
        handler: RequestorAppHandler | ProviderAppHandler,
        lifecycle: AppLifecycleHandler,
        role: str,
    ) -> None:
        self._work_dir = Path(work_dir)
        self._port = port
        self._handler = handler
        self._lifecycle = lifecycle
        self._role = role
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Serve in the background; return once serving (or raise why it could not)."""
        signal = _StartSignal(self._lifecycle)
        self._task = asyncio.create_task(
            serve(Role(self._role), self._work_dir, self._port, self._handler, signal)
        )
        started = asyncio.create_task(signal.started.wait())
        await asyncio.wait({self._task, started}, return_when=asyncio.FIRST_COMPLETED)
        if not signal.started.is_set():
            started.cancel()
            await self._task  # raises what stopped it
            raise RuntimeError("the server stopped before it was serving")

    async def wait_until_shutdown(self) -> None:
        await self._lifecycle.shutdown_requested()

    async def stop(self) -> None:
        """Request shutdown (if nobody did) and wait for the server to finish."""
        self._lifecycle.request_shutdown()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class RequestorAppServer(AppServer):
    def __init__(
        self,
        work_dir: Path,
        port: int,
        handler: RequestorAppHandler,
        lifecycle: AppLifecycleHandler,
    ) -> None:
        super().__init__(work_dir, port, handler, lifecycle, "requestor")


class ProviderAppServer(AppServer):
    def __init__(
        self,
        work_dir: Path,
        port: int,
        handler: ProviderAppHandler,
        lifecycle: AppLifecycleHandler,
    ) -> None:
        super().__init__(work_dir, port, handler, lifecycle, "provider")
