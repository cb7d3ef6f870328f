"""Run blocking work in a worker thread that a `Shutdown` can interrupt.

Python threads cannot be killed, so cancellation is cooperative: the
blocking function polls `Executor.is_shutting_down()` and returns early.
The state is process-wide because one app process serves one role.
"""

import asyncio
import functools
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Executor:
    _shutdown = threading.Event()

    @classmethod
    async def run(cls, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` in the default thread pool and await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))

    @classmethod
    def is_shutting_down(cls) -> bool:
        return cls._shutdown.is_set()

    @classmethod
    def request_shutdown(cls) -> None:
        cls._shutdown.set()

    @classmethod
    def wait_for_shutdown(cls, timeout: float | None = None) -> bool:
        """Block until shutdown is requested; True if it was."""
        return cls._shutdown.wait(timeout)

    @classmethod
    def reset(cls) -> None:
        """Forget a previous shutdown (for tests that run servers in-process)."""
        cls._shutdown.clear()
