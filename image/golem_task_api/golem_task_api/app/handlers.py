"""The interfaces an app implements; the server calls them, one per rpc.

Raise `ValueError` for bad input (it reaches the node as INVALID_ARGUMENT
with its message); anything else becomes INTERNAL.

The signatures are 0.24's. Unlike 0.24 the two app handlers are real ABCs:
a missing method fails when the handler is built, not at the first call.
"""

import abc
import asyncio
from pathlib import Path
from typing import Any

from golem_task_api.wire.dirutils import ProviderTaskDir, RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from golem_task_api.wire.structs import Subtask, Task


class RequestorAppHandler(abc.ABC):
    @abc.abstractmethod
    async def create_task(
        self, task_work_dir: RequestorTaskDir, max_subtasks_count: int, task_params: dict[str, Any]
    ) -> Task: ...

    @abc.abstractmethod
    async def next_subtask(
        self, task_work_dir: RequestorTaskDir, subtask_id: str, opaque_node_id: str
    ) -> Subtask | None: ...

    @abc.abstractmethod
    async def verify(
        self, task_work_dir: RequestorTaskDir, subtask_id: str
    ) -> tuple[VerifyResult, str | None]: ...

    @abc.abstractmethod
    async def discard_subtasks(
        self, task_work_dir: RequestorTaskDir, subtask_ids: list[str]
    ) -> list[str]: ...

    @abc.abstractmethod
    async def run_benchmark(self, work_dir: Path) -> float: ...

    @abc.abstractmethod
    async def has_pending_subtasks(self, task_work_dir: RequestorTaskDir) -> bool: ...

    @abc.abstractmethod
    async def abort_task(self, task_work_dir: RequestorTaskDir) -> None: ...

    @abc.abstractmethod
    async def abort_subtask(self, task_work_dir: RequestorTaskDir, subtask_id: str) -> None: ...


class ProviderAppHandler(abc.ABC):
    @abc.abstractmethod
    async def compute(
        self, task_work_dir: ProviderTaskDir, subtask_id: str, subtask_params: dict[str, Any]
    ) -> Path:
        """Return the result file's path, relative to `task_work_dir`."""

    @abc.abstractmethod
    async def run_benchmark(self, work_dir: Path) -> float: ...


class AppLifecycleHandler:
    """Hooks around the server's life; `request_shutdown` stops the server.

    The server awaits `shutdown_requested()`; anything (a `Shutdown` call,
    the provider's single answer, a signal) may call `request_shutdown`.
    """

    def __init__(self) -> None:
        self._shutdown_requested: asyncio.Event | None = None
        self._shutdown_future: asyncio.Future[None] | None = None

    def _event(self) -> asyncio.Event:
        if self._shutdown_requested is None:
            self._shutdown_requested = asyncio.Event()
        return self._shutdown_requested

    async def on_before_startup(self) -> None:
        pass

    async def on_after_startup(self) -> None:
        pass

    async def on_before_shutdown(self) -> None:
        pass

    async def on_after_shutdown(self) -> None:
        pass

    def request_shutdown(self) -> None:
        self._event().set()
        if self._shutdown_future is not None and not self._shutdown_future.done():
            self._shutdown_future.set_result(None)

    @property
    def shutdown_future(self) -> "asyncio.Future[None]":
        """0.24's spelling of `shutdown_requested()`: done once shutdown is requested.

        Made on first use in the running loop (0.24 made it in `__init__`,
        which tied a handler to whatever loop existed when it was built).
        """
        if self._shutdown_future is None:
            self._shutdown_future = asyncio.get_running_loop().create_future()
            if self.shutdown_is_requested:
                self._shutdown_future.set_result(None)
        return self._shutdown_future

    @property
    def shutdown_is_requested(self) -> bool:
        return self._shutdown_requested is not None and self._shutdown_requested.is_set()

    async def shutdown_requested(self) -> None:
        await self._event().wait()
