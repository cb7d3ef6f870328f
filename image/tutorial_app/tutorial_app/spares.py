"""Empty files made ahead of time, so publishing a new file is a write and a rename.

Creating a file (a new inode) costs 0.2-0.3 ms on our disks: more than all
the rest of a NextSubtask's own work. A background thread keeps a few empty
files in `<task>/.spare/`; a call writes into one and renames it into place
(~20 us), falling back to an ordinary atomic write when none is left. The
call that starts a refill waits for it after releasing the task lock, so
the directory is quiet whenever no call is running. A crash leaves at most
a few empty spares, which `clean` removes on the next load. Only the loop
thread takes spares and only the filler thread adds them; list append and
pop are atomic under the GIL.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
from pathlib import Path

from tutorial_app.store import write_atomic

SPARE_DIR = ".spare"
#: Task dirs whose pools are kept; older pools are dropped (their files stay till `clean`).
MAX_POOLS = 32


class SpareFiles:
    """A pool of empty files on the same file system as the task's directories."""

    def __init__(self, directory: Path, keep: int = 32) -> None:
        self.directory = directory
        self._keep = keep
        self._free: list[Path] = []
        self._names = itertools.count()
        self._filling: asyncio.Future[None] | None = None
        self.closed = False

    def write(self, path: Path, data: bytes) -> None:
        """Replace `path` with `data` whole (not fsync'd: callers can rebuild it)."""
        try:
            spare = self._free.pop()
        except IndexError:
            write_atomic(path, data, durable=False)
        else:
            try:
                with spare.open("r+b") as handle:
                    handle.write(data)
                os.replace(spare, path)
            except FileNotFoundError:  # someone cleaned the pool: do it the slow way
                write_atomic(path, data, durable=False)
        self._refill()

    def _refill(self) -> None:
        if self._filling is not None or len(self._free) >= self._keep // 2:
            return
        with contextlib.suppress(RuntimeError):  # no running loop: fill next time
            self._filling = asyncio.get_running_loop().run_in_executor(None, self._fill)
            self._filling.add_done_callback(self._filled)

    def _filled(self, future: asyncio.Future[None]) -> None:
        if self._filling is future:
            self._filling = None

    async def settle(self) -> None:
        """Wait for a refill in progress (call it without holding the task lock)."""
        if self._filling is not None:
            await asyncio.shield(self._filling)

    def _fill(self) -> None:
        try:
            self.directory.mkdir(exist_ok=True)
            while len(self._free) < self._keep and not self.closed:
                path = self.directory / f"{os.getpid()}-{next(self._names)}"
                path.touch(exist_ok=False)
                self._free.append(path)
        except OSError:
            pass  # a full disk: calls fall back to ordinary writes and fail there


_pools: dict[str, SpareFiles] = {}


def for_task(task_dir: Path) -> SpareFiles:
    """The pool of a task directory (the most recently used MAX_POOLS are kept)."""
    key = os.path.abspath(task_dir)
    pool = _pools.pop(key, None) or SpareFiles(Path(key) / SPARE_DIR)
    _pools[key] = pool
    while len(_pools) > MAX_POOLS:
        del _pools[next(iter(_pools))]
    return pool


async def settle(task_dir: Path) -> None:
    """Wait for the task's refill in progress, if any."""
    pool = _pools.get(os.path.abspath(task_dir))
    if pool is not None:
        await pool.settle()


def clean(task_dir: Path) -> None:
    """Remove the task's spares: left by an earlier process, or no longer needed
    (blocking: run it in a thread)."""
    pool = _pools.pop(os.path.abspath(task_dir), None)
    if pool is not None:
        pool.closed = True
    shutil.rmtree(task_dir / SPARE_DIR, ignore_errors=True)
