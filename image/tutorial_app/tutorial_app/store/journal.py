"""One task's append-only journal, with group commit.

An fsync costs about half a millisecond, and a call must not reply before
its events are on disk. Writes happen under the task lock (in order, and
small: they only reach the page cache); the fsync happens after the lock
is released, and one fsync covers every call that wrote before it began,
so concurrent calls share it instead of queueing for one each. The fsync
runs off the loop (`syncing`: in the kernel through native AIO, else on one
long-lived thread).

A failed write is cut back off the file, so the journal never keeps a torn
line for the next append to glue onto. A failed fsync poisons the journal:
what was written since the last good fsync cannot be trusted, so every
call waiting on it fails and the store rolls back to the durable prefix.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

from golem_task_api.wire.durable import fsync_dir

from tutorial_app.store import syncing

logger = logging.getLogger(__name__)


class JournalError(OSError):
    """Saving the task state failed; the reply must be an error."""


class Journal:
    """Writes (caller holds the task lock) and shared fsyncs for one journal file."""

    def __init__(self, path: Path, fd: int, size: int, seq: int) -> None:
        self.path = path
        self._fd = fd
        self.size = size
        self.written_seq = seq
        self.durable_seq = seq
        self.durable_size = size
        self.poisoned: OSError | None = None
        self._epoch = 0
        self._sync: asyncio.Future[None] | None = None

    @classmethod
    def open(cls, path: Path, seq: int) -> Journal:
        """Open for appending (blocking: run in a thread); what is there is made durable."""
        created = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.fsync(fd)
            if created:
                fsync_dir(path.parent)
            size = os.fstat(fd).st_size
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd, size, seq)

    def append(self, data: bytes, last_seq: int) -> None:
        """Write `data` whole or not at all (page cache only; see `wait_durable`)."""
        if self.poisoned is not None:
            raise JournalError(f"the journal {self.path} failed earlier: {self.poisoned}")
        before = self.size
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as exc:
            try:
                os.ftruncate(self._fd, before)
            except OSError as cut:
                self.poisoned = cut
                raise JournalError(f"could not save the task state ({exc}); {cut}") from exc
            raise JournalError(f"could not save the task state: {exc}") from exc
        self.size += len(data)
        self.written_seq = last_seq

    async def wait_durable(self, seq: int) -> None:
        """Return once every event up to `seq` is fsync'd; JournalError if that failed."""
        while self.durable_seq < seq:
            if self.poisoned is not None:
                raise JournalError(f"could not save the task state: {self.poisoned}")
            if self._sync is None:
                self._sync = asyncio.ensure_future(self._flush())
            with contextlib.suppress(OSError):  # the loop re-checks and raises
                await asyncio.shield(self._sync)

    async def _flush(self) -> None:
        seq, size, epoch = self.written_seq, self.size, self._epoch
        try:
            await syncing.fsync(self._fd)
        except OSError as exc:
            if epoch == self._epoch:  # else a compaction made it all durable meanwhile
                self.poisoned = exc
                raise
        finally:
            self._sync = None
        self.durable_seq = max(self.durable_seq, seq)
        if epoch == self._epoch:
            self.durable_size = max(self.durable_size, size)

    def busy(self) -> bool:
        return self._sync is not None or self.durable_seq < self.written_seq

    def truncate(self, seq: int) -> None:
        """Empty the journal after a snapshot covering `seq` (blocking; lock held)."""
        try:
            os.ftruncate(self._fd, 0)
            os.fsync(self._fd)
        except OSError as exc:
            # The snapshot holds everything, but this file's size is unknown now:
            # the next append fails and the store reloads from disk.
            self.poisoned = exc
            self.durable_seq = self.written_seq = seq
            self.durable_size = 0  # `roll_back` may cut it all: the snapshot has it
            raise
        self._epoch += 1
        self.size = self.durable_size = 0
        self.written_seq = self.durable_seq = seq

    def roll_back(self) -> None:
        """Cut what was never made durable (lock held); the store then reloads from disk."""
        try:
            os.ftruncate(self._fd, self.durable_size)
            os.fsync(self._fd)
        except OSError as exc:
            logger.error("could not cut the journal %s back: %s", self.path, exc)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)
