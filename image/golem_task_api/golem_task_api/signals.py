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
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """While inside, SIGTERM and SIGINT call `stop` on the running loop.

    Outside the main thread signals cannot be caught, and this does nothing.
    Leaving puts the previous handlers and wakeup fd back.
    """
    loop = asyncio.get_running_loop()
    wake_read, wake_write = socket.socketpair()
    wake_read.setblocking(False)
    wake_write.setblocking(False)
    try:
        previous_fd = signal.set_wakeup_fd(wake_write.fileno(), warn_on_full_buffer=False)
    except ValueError:  # not the main thread
        wake_read.close()
        wake_write.close()
        yield
        return

    def on_signal(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(stop)

    previous: dict[int, Any] = {}
    loop.add_reader(wake_read.fileno(), _drain, wake_read)
    try:
        for signum in SIGNALS:
            previous[signum] = signal.signal(signum, on_signal)
        yield
    finally:
        for number, handler in previous.items():
            # None: a handler not set from Python, which cannot be put back; the default then.
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        signal.set_wakeup_fd(previous_fd)
        loop.remove_reader(wake_read.fileno())
        wake_read.close()
        wake_write.close()


def _drain(wake_read: socket.socket) -> None:
    """The bytes only woke the loop; the Python handler has run (or runs next)."""
    with contextlib.suppress(OSError):
        while wake_read.recv(4096):
            pass
