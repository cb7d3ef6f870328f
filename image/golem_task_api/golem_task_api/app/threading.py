"""Run blocking work in a worker thread that a `Shutdown` can interrupt.

Python threads cannot be killed, so cancellation is cooperative: the
blocking function polls `Executor.is_shutting_down()` and returns early.
Workers are daemon threads, so a function that never looks does not keep
the process alive after the server has stopped. The state is process-wide
because one app process serves one role.

0.24 names kept: `initialize` (= `reset`) and `wait_for_shutdown`, whose
result is awaitable (0.24's meaning) and has a truth value (this package's).
"""

import asyncio
import contextlib
import threading
from collections.abc import Callable, Generator
from typing import Any, ClassVar, ParamSpec, TypeVar

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
    #: Work started from an event loop and not finished yet (0.24's `_tasks`).
    _running: ClassVar[set["asyncio.Future[Any]"]] = set()

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
        cls._running.add(future)
        try:
            return await future
        finally:
            cls._running.discard(future)

    @classmethod
    def is_shutting_down(cls) -> bool:
        return cls._shutdown.is_set()

    @classmethod
    def request_shutdown(cls) -> None:
        cls._shutdown.set()

    @classmethod
    def wait_for_shutdown(cls, timeout: float | None = None) -> "ShutdownWait":
        """Both spellings: `bool(...)` blocks until shutdown is requested (True
        if it was, within `timeout`); `await ...` is 0.24's: let the work
        started with `run` finish, for up to `timeout` seconds (default 5)."""
        return ShutdownWait(cls, timeout)

    @classmethod
    def reset(cls) -> None:
        """Forget a previous shutdown (for tests that run servers in-process)."""
        cls._shutdown.clear()

    @classmethod
    def initialize(cls) -> None:
        """0.24's name for `reset`, called when a server starts."""
        cls.reset()


class ShutdownWait:
    """What `Executor.wait_for_shutdown` returns; nothing happens until it is used."""

    def __init__(self, executor: type[Executor], timeout: float | None) -> None:
        self._executor = executor
        self._timeout = timeout

    def __bool__(self) -> bool:
        return self._executor._shutdown.wait(self._timeout)

    def __await__(self) -> Generator[Any, None, None]:
        return self._drain().__await__()

    async def _drain(self) -> None:
        running = list(self._executor._running)
        self._executor._running.clear()
        if running:
            await asyncio.wait(running, timeout=5.0 if self._timeout is None else self._timeout)
