"""Running the journal's fsyncs off the event loop, and telling the loop when they end.

A call waits for an fsync before its reply, so what it costs to start one
and to hear it ended is on every call's path. Two ways, chosen once per
event loop (`fsync`):

- `KernelSyncer`: Linux native AIO (`caio.linux_aio`, a thin binding of
  `io_submit`): the kernel runs the fsync on its own worker and signals an
  eventfd the loop watches. No Python thread takes part, so nothing waits
  for the GIL. With a thread, the hand-over (the thread takes the GIL to
  pick the request up, and again to hand the answer back, while the loop
  holds it serving other calls) cost more than the fsync itself: at 10,000
  parts, NextSubtask and Verify took 2.3 and 3.2 ms, mostly waiting for
  0.5 ms fsyncs; with native AIO 1.45 and 1.57 ms.
- `ThreadSyncer`: one daemon thread, where native AIO is missing (another
  OS, `caio` absent, the syscalls refused by a sandbox's seccomp) or full
  (the system's AIO slots, `fs.aio-max-nr`, used up).

Either way the answer is a future on the loop: done when the fsync
returned, its exception the fsync's `OSError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import threading
import weakref
from typing import Any, Protocol

logger = logging.getLogger(__name__)

#: Fsyncs one loop may have in the kernel at once (one per journal being
#: flushed); past it, or if a submission fails, an fsync goes to the thread.
MAX_IN_FLIGHT = 64
#: `TUTORIAL_APP_FSYNC=thread` forces the thread (tests; a kernel whose AIO misbehaves).
FORCE_ENV = "TUTORIAL_APP_FSYNC"
#: The fallback thread's name (probes and tests tell its fsyncs apart by it).
THREAD_NAME = "journal-fsync"


class Syncer(Protocol):
    name: str

    def fsync(self, fd: int) -> asyncio.Future[None]: ...


class ThreadSyncer:
    """One daemon thread that fsyncs file descriptors for any event loop.

    Requests queue in order; each is answered on its loop with a future, so
    the loop never blocks on the disk and the thread touches the GIL only
    to take a request and to hand back the answer.
    """

    name = "thread"

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[
            tuple[int, asyncio.Future[None], asyncio.AbstractEventLoop]
        ] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def fsync(self, fd: int) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._requests.put((fd, done, loop))
        if self._thread is None or not self._thread.is_alive():
            with self._start:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._serve, name=THREAD_NAME, daemon=True
                    )
                    self._thread.start()
        return done

    def _serve(self) -> None:
        while True:
            fd, done, loop = self._requests.get()
            error: Exception | None = None
            try:
                os.fsync(fd)
            except Exception as exc:  # an OSError; anything else must reach the waiter too
                error = exc
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                loop.call_soon_threadsafe(_settle, done, error)


class KernelSyncer:
    """Fsyncs through one native AIO context per event loop (see the module's text)."""

    name = "kernel"

    def __init__(self, loop: asyncio.AbstractEventLoop, fallback: ThreadSyncer) -> None:
        # Not `from caio import linux_aio`: where io_setup is refused (Docker run with a
        # seccomp profile without it), caio's own import of it fails and caio sets the
        # name to None; this import tries again and raises the ImportError saying why.
        import caio.linux_aio as linux_aio  # Linux only; ImportError elsewhere

        self._aio = linux_aio
        self._context = linux_aio.Context(max_requests=MAX_IN_FLIGHT)
        self._fallback = fallback
        self._in_flight = 0
        # The loop holds this object through its reader, never the other way round,
        # so a closed loop lets both go (and the context's io_destroy runs).
        loop.add_reader(self._context.fileno, self._drain)

    def fsync(self, fd: int) -> asyncio.Future[None]:
        if self._in_flight >= MAX_IN_FLIGHT:
            return self._fallback.fsync(fd)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        operation = self._aio.Operation.fsync(fd)
        operation.set_callback(lambda result: self._ended(done, result))
        reason: object = "not accepted"
        try:
            accepted = self._context.submit(operation)
        except (OSError, SystemError, ValueError) as exc:  # caio's reports of io_submit's errno
            accepted, reason = 0, exc  # the thread's fsync then says what is wrong, if anything
        if accepted != 1:
            logger.debug("native AIO refused an fsync (%s); using the thread", reason)
            return self._fallback.fsync(fd)
        self._in_flight += 1
        return done

    def _ended(self, done: asyncio.Future[None], result: int) -> None:
        self._in_flight -= 1
        code = result - (1 << 64) if result >= 1 << 63 else result  # io_event.res, signed
        _settle(done, None if code >= 0 else OSError(-code, os.strerror(-code)))

    def _drain(self) -> None:
        with contextlib.suppress(BlockingIOError):  # completions can outrun the counter
            self._context.poll()
        while self._context.process_events():
            pass


def _settle(done: asyncio.Future[None], error: Exception | None) -> None:
    if done.cancelled():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


#: The process's fsync thread (started at its first fsync).
THREAD = ThreadSyncer()
_BY_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Syncer] = weakref.WeakKeyDictionary()


def prepare() -> None:
    """Load native AIO's binding now, at the requestor's start: loading it probes the
    kernel (an io_setup and an io_destroy, which waits out an RCU grace period) for
    ~40 ms with the GIL held, which a first NextSubtask would otherwise wait for."""
    if not _thread_forced():
        with contextlib.suppress(ImportError):
            import caio.linux_aio  # noqa: F401  # `_choose` says why, if it is missing


def syncer() -> Syncer:
    """The running loop's syncer: native AIO where it works, else the thread."""
    loop = asyncio.get_running_loop()
    chosen = _BY_LOOP.get(loop)
    if chosen is None:
        chosen = _BY_LOOP[loop] = _choose(loop)
    return chosen


def fsync(fd: int) -> asyncio.Future[None]:
    """A future done once `fd` is fsync'd (its exception: the fsync's OSError)."""
    return syncer().fsync(fd)


def _choose(loop: asyncio.AbstractEventLoop) -> Syncer:
    if _thread_forced():
        return THREAD
    try:
        return KernelSyncer(loop, THREAD)
    except ImportError as exc:  # caio missing, or its io_setup probe refused
        reason: Any = f"caio's linux_aio cannot be imported: {exc}"
    except (OSError, SystemError) as exc:  # ENOSYS, EPERM (seccomp), EAGAIN (aio-max-nr)
        reason = exc
    except NotImplementedError:  # a loop without add_reader
        reason = "the event loop cannot watch an eventfd"
    logger.info("fsyncs run on a thread: native AIO is unavailable (%s)", reason)
    return THREAD


def _thread_forced() -> bool:
    return os.environ.get(FORCE_ENV, "").strip().lower() == "thread"
