"""SIGTERM and SIGINT ask a serving app to stop.

This is what `loop.add_signal_handler` does, without its check of each
signal against `signal.valid_signals()`, which builds an enum member for
every signal number on each call and again on removal: about half a
millisecond of CPU, and enum pages copied, in a provider that lives for
one call. A signal may arrive on any thread while the loop sleeps, so it
is written to a wakeup socket the loop watches; the Python handler then
runs on the main thread and hands `stop` to the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """While inside, SIGTERM and SIGINT call `stop` on the running loop.

    Outside the main thread signals cannot be caught, and this does nothing.
    A wakeup fd set already (the loop's own, if the app added signal handlers
    of its own) is left in place: it wakes the loop too, and its owner keeps
    reading it. Leaving puts the previous handlers and wakeup fd back.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    wakeup = _Wakeup.install(loop)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(stop)

    previous: dict[int, Any] = {}
    try:
        for signum in SIGNALS:
            previous[signum] = signal.signal(signum, on_signal)
        yield
    finally:
        for number, handler in previous.items():
            # None: a handler not set from Python, which cannot be put back; the default then.
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        if wakeup is not None:
            wakeup.remove(loop)


@dataclass(frozen=True)
class _Wakeup:
    """A socket pair: signals are written to one end, the loop watches the other."""

    read: socket.socket
    write: socket.socket

    @classmethod
    def install(cls, loop: asyncio.AbstractEventLoop) -> _Wakeup | None:
        """Ours, set and watched; None if another fd wakes the loop already (or cannot)."""
        current = signal.set_wakeup_fd(-1)
        if current != -1:
            signal.set_wakeup_fd(current)
            return None
        read, write = socket.socketpair()
        try:
            read.setblocking(False)
            write.setblocking(False)
            loop.add_reader(read.fileno(), _drain, read)
        except (NotImplementedError, OSError):  # a loop that cannot watch sockets
            read.close()
            write.close()
            return None
        signal.set_wakeup_fd(write.fileno(), warn_on_full_buffer=False)
        return cls(read, write)

    def remove(self, loop: asyncio.AbstractEventLoop) -> None:
        current = signal.set_wakeup_fd(-1)
        if current != self.write.fileno():  # someone set theirs meanwhile: it stays
            signal.set_wakeup_fd(current)
        loop.remove_reader(self.read.fileno())
        self.read.close()
        self.write.close()


def _drain(wake_read: socket.socket) -> None:
    """The bytes only woke the loop; the Python handler has run (or runs next)."""
    with contextlib.suppress(OSError):
        while wake_read.recv(4096):
            pass
