"""What a node needs from whatever runs an app: start, stop, observe."""

import abc
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path


class TaskApiService(abc.ABC):
    """Runs one app server (one role) with `work_dir` as its work directory.

    Clients read the TLS files from `work_dir` on the host side.
    """

    work_dir: Path

    @abc.abstractmethod
    async def start(self, command: list[str], port: int) -> tuple[str, int]:
        """Start the app with `command` (`[role, port]`); return where to reach it."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Make sure the app is gone (idempotent)."""

    @abc.abstractmethod
    def running(self) -> bool: ...

    async def wait_ready(self, timeout: float | None = None) -> bool:
        """True once the app said it is SERVING; False if this service cannot tell.

        A client that gets False polls the health service, as the contract says.
        """
        return False

    @abc.abstractmethod
    async def wait_until_shutdown_complete(self, timeout: float | None = None) -> None:
        """Wait for the app to exit on its own; `TimeoutError` if it does not."""


#: Builds the service that runs one app process with the given work dir
#: (nodes and tests start a fresh one per app they run).
ServiceFactory = Callable[[Path], TaskApiService]


async def wait_for_exit(
    exited: Awaitable[object], timeout: float | None, still_running: str
) -> None:
    """Await `exited` for up to `timeout` s, else `TimeoutError(still_running)`.

    The shared body of `wait_until_shutdown_complete`: the caller learns which
    app is still running, not `wait_for`'s internals (hence `from None`).
    """
    try:
        await asyncio.wait_for(exited, timeout)
    except TimeoutError:
        raise TimeoutError(still_running) from None
