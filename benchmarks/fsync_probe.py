"""Run the requestor app with every fsync counted and timed.

`requestor_load.py` starts the app through this script so it can say what
durability costs per pair: how many fsyncs, and how long they took (wall
time from the request to its end, whichever way it ran: the journal's
through `tutorial_app.store.syncing`, native AIO or its thread; any other
through `os.fsync` / `os.fdatasync`). The figures go to the file named by
`FSYNC_PROBE_OUT` as JSON when the app exits.

    FSYNC_PROBE_OUT=out.json python fsync_probe.py requestor PORT --work-dir DIR
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import runpy
import threading
import time
from collections.abc import Callable
from typing import Any

from tutorial_app.store import syncing

_lock = threading.Lock()
_calls = 0
_seconds = 0.0


def _count(started: float) -> None:
    global _calls, _seconds
    spent = time.perf_counter() - started
    with _lock:
        _calls += 1
        _seconds += spent


def _timed(real: Callable[[int], None]) -> Callable[[int], None]:
    def call(fd: int) -> None:
        started = time.perf_counter()
        try:
            real(fd)
        finally:
            if threading.current_thread().name != syncing.THREAD_NAME:  # counted as requested
                _count(started)

    return call


def _timed_journal(real: Callable[[int], asyncio.Future[None]]) -> Callable[..., Any]:
    def request(fd: int) -> asyncio.Future[None]:
        started = time.perf_counter()
        done = real(fd)
        done.add_done_callback(lambda _: _count(started))
        return done

    return request


def _report(path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"fsyncs": _calls, "fsync_seconds": _seconds}, handle)


if __name__ == "__main__":
    out = os.environ.get("FSYNC_PROBE_OUT")
    if out:
        os.fsync, os.fdatasync = _timed(os.fsync), _timed(os.fdatasync)
        syncing.fsync = _timed_journal(syncing.fsync)
        atexit.register(_report, out)
    runpy.run_module("tutorial_app.entrypoint", run_name="__main__", alter_sys=True)
