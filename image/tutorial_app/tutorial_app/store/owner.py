"""One requestor per work dir: an exclusive `flock` held for the life of the process.

Two requestors serving one work dir would hand out the same parts and
interleave their journals (a node that restarts an app it thinks is hung
does exactly that), so a requestor locks `<work dir>/.requestor.lock`
before it serves, and a second one refuses at once, naming the holder.
The kernel drops the lock when the holder dies, however it dies, so a
crash never leaves a stale lock; the pid in the file is only for the
message. Readers (`tutorial-app status`) take no lock and write nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

LOCK_NAME = ".requestor.lock"
#: How long to wait for a holder that has the lock but has not written its pid yet.
PID_WAIT_SECONDS = 0.5


class WorkDirBusy(RuntimeError):
    """Another live process owns the work dir."""


def take(work_dir: Path) -> int:
    """Lock the work dir for this process; the fd must stay open while serving."""
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise WorkDirBusy(
            f"the work dir {work_dir} is in use by another requestor (pid {holder}); "
            "one requestor per work dir"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _holder(fd: int) -> str:
    """The pid the holder wrote (it writes right after locking: wait a moment for it)."""
    deadline = time.monotonic() + PID_WAIT_SECONDS
    while True:
        with contextlib.suppress(OSError):
            text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            if text.isdigit():
                return text
        if time.monotonic() > deadline:
            return "unknown"
        time.sleep(0.01)
