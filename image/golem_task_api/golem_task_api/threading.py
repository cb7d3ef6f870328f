"""Run blocking work in a worker thread that a `Shutdown` can interrupt.

Python threads cannot be killed, so cancellation is cooperative: the
blocking function polls `Executor.is_shutting_down()` and returns early.
Workers are daemon threads, so a function that never looks does not keep
the process alive after the server has stopped. The state is process-wide
because one app process serves one role.
"""

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def _settle(future: "asyncio.Future[T]", result: T | None, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)  # type: ignore[arg-type]


class Executor:
    _shutdown = threading.Event()

    @classmethod
    async def run(cls, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` in a daemon worker thread and await its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def work() -> None:
            result: T | None = None
            error: BaseException | None = None
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                error = exc
            # The loop may be gone if the server stopped without waiting for us.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, result, error)

        name = f"executor-{getattr(fn, '__name__', 'work')}"
        threading.Thread(target=work, name=name, daemon=True).start()
        return await future

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
