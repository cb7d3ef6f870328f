"""Durable task state: a `task.json` snapshot plus an append-only journal.

A call must not cost more as the task grows, so a change appends its
events to `task.journal` (one JSON object per line, written and fsync'd
before the reply) instead of rewriting the task. When the journal grows
past a threshold the snapshot is rewritten atomically (temp file, fsync,
rename, fsync dir) with the sequence number it covers, and the journal is
truncated. Loading replays journal events newer than the snapshot; a torn
last line (a crash mid-write) is dropped and cut off the file.

The state of each task directory is cached in memory after the first
load: this process is the only writer. Each directory has its own
`asyncio.Lock`; commands hold it across load, move and save.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from tutorial_app.state import Event, TaskState

logger = logging.getLogger(__name__)

SNAPSHOT_NAME = "task.json"
JOURNAL_NAME = "task.journal"
MIN_COMPACT_EVENTS = 1000


@dataclass
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    state: TaskState | None = None
    journal_events: int = 0


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace `path` with `data` so a crash leaves the old or the new file, whole.

    `durable=False` skips the fsyncs, for files that can be rebuilt from the
    task state after a crash (a machine crash may then lose or empty them).
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def snapshot_bytes(state: TaskState) -> bytes:
    return (json.dumps(state.to_json(), indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def read_task(task_dir: Path) -> tuple[TaskState | None, int]:
    """Load snapshot + journal; returns the state and how many events were replayed."""
    snapshot = task_dir / SNAPSHOT_NAME
    if not snapshot.exists():
        return None, 0
    state = TaskState.from_json(json.loads(snapshot.read_text(encoding="utf-8")))
    journal = task_dir / JOURNAL_NAME
    if not journal.exists():
        return state, 0
    replayed = 0
    good_end = 0
    with journal.open("rb") as handle:
        for line in handle:
            event = _parse_line(line)
            if event is None:
                logger.warning("ignoring a torn journal tail in %s at byte %d", journal, good_end)
                break
            good_end += len(line)
            if int(event["seq"]) > state.seq:
                state.apply(event)
                replayed += 1
    if good_end != journal.stat().st_size:
        with journal.open("r+b") as handle:
            handle.truncate(good_end)
            os.fsync(handle.fileno())
    return state, replayed


def _parse_line(line: bytes) -> Event | None:
    if not line.endswith(b"\n"):
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if not isinstance(event, dict) or not isinstance(event.get("seq"), int):
        return None
    return event


def _append(journal: Path, lines: bytes) -> None:
    created = not journal.exists()
    with journal.open("ab") as handle:
        handle.write(lines)
        handle.flush()
        os.fsync(handle.fileno())
    if created:
        fsync_dir(journal.parent)


def _compact(task_dir: Path, data: bytes) -> None:
    write_atomic(task_dir / SNAPSHOT_NAME, data)
    with (task_dir / JOURNAL_NAME).open("wb") as handle:
        os.fsync(handle.fileno())


class TaskStore:
    """Loads and saves task state, one lock and one cached state per task dir."""

    def __init__(
        self,
        min_compact_events: int = MIN_COMPACT_EVENTS,
        repair: Callable[[Path, TaskState], list[Event]] | None = None,
    ) -> None:
        """`repair` runs (in a thread) on each state loaded from disk; its events are committed."""
        self._entries: dict[Path, _Entry] = {}
        self._min_compact_events = min_compact_events
        self._repair = repair

    def _entry(self, task_dir: Path) -> _Entry:
        key = Path(os.path.abspath(task_dir))
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry()
        return entry

    @contextlib.asynccontextmanager
    async def locked(self, task_dir: Path) -> AsyncIterator[None]:
        async with self._entry(task_dir).lock:
            yield

    async def load(self, task_dir: Path) -> TaskState | None:
        """The task's state (None before CreateTask); call with the lock held."""
        entry = self._entry(task_dir)
        if entry.state is None:
            loaded, replayed = await asyncio.to_thread(read_task, task_dir)
            events: list[Event] = []
            if loaded is not None and self._repair is not None:
                events = await asyncio.to_thread(self._repair, task_dir, loaded)
            entry.state, entry.journal_events = loaded, replayed
            await self.commit(task_dir, events)
        return entry.state

    async def create(self, task_dir: Path, state: TaskState) -> None:
        """Save a new task's first snapshot; call with the lock held."""
        data = snapshot_bytes(state)
        await asyncio.to_thread(write_atomic, task_dir / SNAPSHOT_NAME, data)
        entry = self._entry(task_dir)
        entry.state, entry.journal_events = state, 0

    async def commit(self, task_dir: Path, events: list[Event]) -> None:
        """Journal `events` durably, then apply them to the cached state.

        The events must have been planned against the current state, so
        applying them cannot fail half-way.
        """
        if not events:
            return
        entry = self._entry(task_dir)
        state = entry.state
        if state is None:
            raise RuntimeError(f"commit before load for {task_dir}")
        numbered = [{**event, "seq": state.seq + i + 1} for i, event in enumerate(events)]
        lines = b"".join(
            json.dumps(event, ensure_ascii=False).encode("utf-8") + b"\n" for event in numbered
        )
        try:
            await asyncio.to_thread(_append, task_dir / JOURNAL_NAME, lines)
        except BaseException:
            entry.state = None  # reload from disk next time; a torn tail gets cut
            raise
        for event in numbered:
            state.apply(event)
        entry.journal_events += len(numbered)
        if entry.journal_events >= max(self._min_compact_events, len(state.parts)):
            await self.compact(task_dir)

    async def compact(self, task_dir: Path) -> None:
        """Fold the journal into the snapshot; call with the lock held."""
        entry = self._entry(task_dir)
        if entry.state is None:
            return
        data = snapshot_bytes(entry.state)
        await asyncio.to_thread(_compact, task_dir, data)
        entry.journal_events = 0
        logger.debug("compacted %s at seq %d", task_dir, entry.state.seq)

    def forget(self, task_dir: Path) -> None:
        """Drop the cached state (tests use it to force a reload from disk)."""
        self._entries.pop(Path(os.path.abspath(task_dir)), None)
