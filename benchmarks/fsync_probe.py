"""Run the requestor app with every `os.fsync` / `os.fdatasync` counted and timed.

`requestor_load.py` starts the app through this script so it can say what
durability costs per pair: how many fsyncs, and how long they took (wall
time inside the calls, whichever thread made them). The figures go to the
file named by `FSYNC_PROBE_OUT` as JSON when the app exits.

    FSYNC_PROBE_OUT=out.json python fsync_probe.py requestor PORT --work-dir DIR
"""

from __future__ import annotations

import atexit
import json
import os
import runpy
import threading
import time
from collections.abc import Callable

_lock = threading.Lock()
_calls = 0
_seconds = 0.0


def _timed(real: Callable[[int], None]) -> Callable[[int], None]:
    def call(fd: int) -> None:
        global _calls, _seconds
        started = time.perf_counter()
        try:
            real(fd)
        finally:
            spent = time.perf_counter() - started
            with _lock:
                _calls += 1
                _seconds += spent

    return call


def _report(path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"fsyncs": _calls, "fsync_seconds": _seconds}, handle)


if __name__ == "__main__":
    out = os.environ.get("FSYNC_PROBE_OUT")
    if out:
        os.fsync, os.fdatasync = _timed(os.fsync), _timed(os.fdatasync)
        atexit.register(_report, out)
    runpy.run_module("tutorial_app.entrypoint", run_name="__main__", alter_sys=True)
