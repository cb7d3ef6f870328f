"""`InlineTaskApiService`: run an app's handler objects in a child process (0.24's tool).

The child is *spawned*, not forked (a fork of a process using grpcio is
unsafe), so the handlers must be picklable: instances of classes defined
at module level. It serves `entrypoint.main` on 127.0.0.1, as an app's
own command line would.
"""

import asyncio
import multiprocessing
import threading
from multiprocessing.process import BaseProcess
from pathlib import Path

from golem_task_api.app import entrypoint
from golem_task_api.app.handlers import AppLifecycleHandler, ProviderAppHandler, RequestorAppHandler
from golem_task_api.compat.legacy_service import TaskApiService

#: How long `wait_until_shutdown_complete` waits for the child to exit (0.24's 5 s).
JOIN_TIMEOUT = 5.0


def _serve(
    work_dir: Path,
    argv: list[str],
    requestor_handler: RequestorAppHandler | None,
    requestor_lifecycle_handler: AppLifecycleHandler | None,
    provider_handler: ProviderAppHandler | None,
    provider_lifecycle_handler: AppLifecycleHandler | None,
) -> None:
    asyncio.run(
        entrypoint.main(
            work_dir,
            argv,
            requestor_handler=requestor_handler,
            requestor_lifecycle_handler=requestor_lifecycle_handler,
            provider_handler=provider_handler,
            provider_lifecycle_handler=provider_lifecycle_handler,
        )
    )


class InlineTaskApiService(TaskApiService):
    def __init__(
        self,
        work_dir: Path,
        requestor_handler: RequestorAppHandler | None = None,
        requestor_lifecycle_handler: AppLifecycleHandler | None = None,
        provider_handler: ProviderAppHandler | None = None,
        provider_lifecycle_handler: AppLifecycleHandler | None = None,
    ) -> None:
        self._work_dir = Path(work_dir)
        self._handlers = (
            requestor_handler,
            requestor_lifecycle_handler,
            provider_handler,
            provider_lifecycle_handler,
        )
        self._server_process: BaseProcess | None = None
        self._join_lock = threading.Lock()

    def running(self) -> bool:
        return self._server_process is not None and self._server_process.is_alive()

    async def start(self, command: str, port: int) -> tuple[str, int]:
        if self.running():
            raise RuntimeError("the service is already running")
        context = multiprocessing.get_context("spawn")
        self._server_process = context.Process(
            target=_serve,
            args=(self._work_dir, command.split(" "), *self._handlers),
            daemon=True,
        )
        self._server_process.start()
        return "127.0.0.1", port

    async def stop(self) -> None:
        """SIGTERM: the entry point shuts the server down gracefully."""
        if self.running():
            assert self._server_process is not None
            self._server_process.terminate()

    def _join(self) -> None:
        assert self._server_process is not None
        # One join at a time: two threads reaping the child race in waitpid, and
        # the loser sees no exit code although the child is gone.
        with self._join_lock:
            self._server_process.join(JOIN_TIMEOUT)
        exit_code = self._server_process.exitcode
        if exit_code is None:
            raise TimeoutError(f"the server did not exit within {JOIN_TIMEOUT} s")
        if exit_code != 0:
            raise ChildProcessError(f"Server exited with code {exit_code}")

    async def wait_until_shutdown_complete(self) -> None:
        """Wait for the child to exit; ChildProcessError if it failed."""
        if self._server_process is None:
            return
        await asyncio.to_thread(self._join)
