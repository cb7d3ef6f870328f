"""Durable task state: `task.json` + `task.input` + an append-only journal.

A call must not cost more as the task grows, so a change appends its
events to `task.journal` (one JSON object per line, fsync'd before the
reply; concurrent calls share an fsync, see `journal`) instead of
rewriting the task. When the journal grows past a threshold the snapshot
is rewritten atomically (temp file, fsync, rename, fsync dir) in a thread,
with the sequence number it covers, and the journal is truncated. The
input text is written once, at CreateTask, to its own file.

The only way in is `session`: `async with tasks.session(task_dir) as s`
holds the task's `asyncio.Lock`, has the state loaded (`s.task`, repaired
once per process), lets the call `s.create` or `s.commit`, and on the way
out waits until everything the call saw is durable. If a write or an fsync
fails, the call fails and the cached state is dropped; the next call
reloads the durable prefix from disk *without* repairing files again, so
calls in flight keep their staged files. This process is the only writer
(the entry point holds the work dir's lock). Which idle tasks stay cached
is `task_cache`'s to decide.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

from golem_task_api.wire.durable import fsync_dir
from golem_task_api.wire.durable import write_bytes as write_atomic
from golem_task_api.wire.errors import NotFound

from tutorial_app.core import events
from tutorial_app.core.events import Event
from tutorial_app.core.state import TaskState
from tutorial_app.store import writer
from tutorial_app.store.journal import Journal, JournalError
from tutorial_app.store.reader import JOURNAL_NAME, SNAPSHOT_NAME, read_task
from tutorial_app.store.task_cache import MAX_CACHED_SETTLED, MAX_CACHED_TASKS, TaskCache, TaskEntry

logger = logging.getLogger(__name__)

MIN_COMPACT_EVENTS = 1000
#: A journal line's encoder, made once (`json.dumps` with options builds one per call).
_LINE = json.JSONEncoder(ensure_ascii=False)

__all__ = [
    "JOURNAL_NAME",
    "SNAPSHOT_NAME",
    "JournalError",
    "NoSuchTask",
    "Session",
    "TaskStore",
    "fsync_dir",
    "read_task",
    "write_atomic",
]


class NoSuchTask(NotFound):
    """The call names a task that CreateTask never made (NOT_FOUND)."""


class Session:
    """One call's view of a task, inside `TaskStore.session`."""

    def __init__(self, store: TaskStore, task_dir: Path, entry: TaskEntry) -> None:
        self._store, self._dir, self._entry = store, task_dir, entry
        self.committed = False

    @property
    def task(self) -> TaskState | None:
        """The task's state; None before CreateTask."""
        return self._entry.state

    def require(self) -> TaskState:
        """The task's state; NoSuchTask before CreateTask."""
        if self._entry.state is None:
            raise NoSuchTask(f"there is no task {self._dir.name!r}; call CreateTask first")
        return self._entry.state

    async def create(self, state: TaskState, data: bytes | None = None) -> None:
        """Save a new task: input file (`data`: the input's bytes, if at hand) and first
        snapshot, durable before this returns."""
        await self._store._create(self._dir, self._entry, state, data)

    async def commit(self, planned: Sequence[Event]) -> None:
        """Journal `planned` (planned against the current state), then apply them."""
        self.committed = True  # whatever happens next, the session's end waits for the disk
        await self._store._commit(self._dir, self._entry, planned)


class TaskStore:
    """Loads and saves task state, one lock and one cached state per task dir."""

    def __init__(
        self,
        min_compact_events: int = MIN_COMPACT_EVENTS,
        repair: Callable[[Path, TaskState], list[Event]] | None = None,
        max_cached: int = MAX_CACHED_TASKS,
        max_settled: int = MAX_CACHED_SETTLED,
    ) -> None:
        """`repair` runs (in a thread) on each state first loaded from disk in this
        process; its events are committed."""
        self._cache = TaskCache(max_cached, max_settled)
        self._min_compact_events = min_compact_events
        self._repair = repair

    @contextlib.asynccontextmanager
    async def session(self, task_dir: Path, *, look_only: bool = False) -> AsyncIterator[Session]:
        """Locked and loaded; on the way out, wait until what the call saw is durable.

        `look_only`: no wait on the way out unless the session commits, for a look
        whose outcome is only ever reported through a commit (which waits for
        everything) or through an error (which waits for nothing).
        """
        key = os.path.abspath(task_dir)
        entry = self._cache.entry(key)
        entry.users += 1
        try:
            async with entry.lock:
                await self._load(task_dir, key, entry)
                view = Session(self, task_dir, entry)
                yield view
                journal, seq = entry.journal, entry.state.seq if entry.state else 0
            if journal is not None and (view.committed or not look_only):
                try:
                    await journal.wait_durable(seq)
                except JournalError:
                    async with entry.lock:
                        self._roll_back(entry, journal)
                    raise
        finally:
            entry.users -= 1
            self._cache.drop_if_unknown(key, entry)
        self._cache.evict_idle()

    def _roll_back(self, entry: TaskEntry, journal: Journal) -> None:
        """After the journal was poisoned: cut what is not durable and drop the cached
        state; the next call reloads the durable prefix (no repair: see `session`)."""
        if entry.journal is journal:
            journal.roll_back()
            journal.close()
            entry.state, entry.journal = None, None

    async def _load(self, task_dir: Path, key: str, entry: TaskEntry) -> None:
        if entry.state is not None:
            return
        loaded, replayed, meta = await asyncio.to_thread(writer.load_owned, task_dir)
        if loaded is None:
            return
        if entry.journal is not None:  # left by a load that failed half-way
            entry.journal.close()
        entry.journal = await asyncio.to_thread(Journal.open, task_dir / JOURNAL_NAME, loaded.seq)
        repairs: list[Event] = []
        if self._repair is not None and not entry.repaired:
            repairs = await asyncio.to_thread(self._repair, task_dir, loaded)
        entry.state, entry.input_meta, entry.journal_events = loaded, meta, replayed
        entry.repaired = True
        self._cache.keep(key, entry)
        await self._commit(task_dir, entry, repairs)

    async def _create(
        self, task_dir: Path, entry: TaskEntry, state: TaskState, data: bytes | None
    ) -> None:
        if entry.state is not None:
            raise RuntimeError(f"create over an existing task in {task_dir}")
        meta = await asyncio.to_thread(writer.write_new, task_dir, state, data)
        if entry.journal is not None:
            entry.journal.close()
        entry.journal = await asyncio.to_thread(Journal.open, task_dir / JOURNAL_NAME, state.seq)
        entry.state, entry.input_meta, entry.journal_events = state, meta, 0
        entry.repaired = True
        self._cache.keep(os.path.abspath(task_dir), entry)

    async def _commit(self, task_dir: Path, entry: TaskEntry, planned: Sequence[Event]) -> None:
        """Write to the journal, then apply; if the write fails, nothing is applied."""
        if not planned:
            return
        state, journal = entry.state, entry.journal
        if state is None or journal is None:
            raise RuntimeError(f"commit before load for {task_dir}")
        lines = b"".join(
            _LINE.encode(events.to_json(event, state.seq + i)).encode() + b"\n"
            for i, event in enumerate(planned, 1)
        )
        try:
            journal.append(lines, state.seq + len(planned))
        except JournalError:
            if journal.poisoned is not None:  # cut what is not durable; reload cuts the rest
                self._roll_back(entry, journal)
            raise
        for event in planned:
            state.apply(event)
        entry.journal_events += len(planned)
        if entry.journal_events >= max(self._min_compact_events, len(state.parts)):
            try:
                await self._compact(task_dir, entry)
            except OSError as exc:  # the journal still holds everything; try again later
                logger.warning("could not compact %s: %s", task_dir, exc)

    async def _compact(self, task_dir: Path, entry: TaskEntry) -> None:
        """Fold the journal into the snapshot, off the loop (the lock keeps the state still)."""
        state, journal, meta = entry.state, entry.journal, entry.input_meta
        if state is None or journal is None or meta is None:
            return
        await asyncio.to_thread(writer.write_snapshot, task_dir, state, meta)
        await asyncio.to_thread(journal.truncate, state.seq)
        entry.journal_events = 0
        logger.debug("compacted %s at seq %d", task_dir, state.seq)

    async def compact(self, task_dir: Path) -> None:
        """Fold the task's journal into its snapshot now (benchmarks, tests)."""
        async with self.session(task_dir) as session:
            if session.task is not None:
                await self._compact(task_dir, session._entry)

    def is_cached(self, task_dir: Path) -> bool:
        """Whether the task's state is in memory (diagnostics, tests)."""
        entry = self._cache.get(os.path.abspath(task_dir))
        return entry is not None and entry.state is not None

    def tracked(self) -> int:
        """How many task dirs this store keeps an entry for (diagnostics, tests)."""
        return len(self._cache)

    def forget(self, task_dir: Path) -> None:
        """Drop the cached state (tests use it to force a reload from disk)."""
        entry = self._cache.forget(os.path.abspath(task_dir))
        if entry is not None and entry.journal is not None:
            entry.journal.close()
