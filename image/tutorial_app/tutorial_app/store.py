"""Durable task state: a `task.json` snapshot plus an append-only journal.

A call must not cost more as the task grows, so a change appends its
events to `task.journal` (one JSON object per line, fsync'd before the
reply; concurrent calls share an fsync, see `journal`) instead of
rewriting the task. When the journal grows
past a threshold the snapshot is rewritten atomically (temp file, fsync,
rename, fsync dir) with the sequence number it covers, and the journal is
truncated. Loading replays journal events newer than the snapshot; a torn
last line (a crash mid-write) is dropped and cut off the file.

The state of each task directory is cached in memory after the first
load: this process is the only writer. Each directory has its own
`asyncio.Lock`; commands hold it across load, move and save, and leaving
`locked()` waits until everything the call saw is durable. Only the most
recently used idle tasks stay cached, so a long-lived requestor does not
keep every task it ever ran in memory.
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

from tutorial_app.journal import Journal, JournalError, fsync_dir
from tutorial_app.state import Event, TaskState

logger = logging.getLogger(__name__)

SNAPSHOT_NAME = "task.json"
JOURNAL_NAME = "task.journal"
MIN_COMPACT_EVENTS = 1000
#: Idle tasks beyond this many drop their cached state (reloaded on demand).
MAX_CACHED_TASKS = 32
#: Of those, settled tasks (nothing pending or out) beyond this many go first: over
#: days they are most of a node's tasks, and rarely called again.
MAX_CACHED_SETTLED = 4

__all__ = ["JournalError", "TaskStore", "fsync_dir", "read_task", "write_atomic"]


@dataclass
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    state: TaskState | None = None
    journal: Journal | None = None
    journal_events: int = 0
    repaired: bool = False
    users: int = 0  # calls inside `locked()`, holding or waiting for the lock


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


def snapshot_bytes(state: TaskState) -> bytes:
    return (json.dumps(state.to_json(), indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def read_task(task_dir: Path, *, cut_torn_tail: bool = True) -> tuple[TaskState | None, int]:
    """Load snapshot + journal; returns the state and how many events were replayed.

    The owner of the task cuts a torn tail off so no append glues onto it;
    readers (`tutorial-app status`) pass `cut_torn_tail=False` and write nothing.
    """
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
    if cut_torn_tail and good_end != journal.stat().st_size:
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


def _compact(task_dir: Path, data: bytes, journal: Journal, seq: int) -> None:
    write_atomic(task_dir / SNAPSHOT_NAME, data)
    journal.truncate(seq)


class TaskStore:
    """Loads and saves task state, one lock and one cached state per task dir."""

    def __init__(
        self,
        min_compact_events: int = MIN_COMPACT_EVENTS,
        repair: Callable[[Path, TaskState], list[Event]] | None = None,
        max_cached: int = MAX_CACHED_TASKS,
        max_settled: int = MAX_CACHED_SETTLED,
    ) -> None:
        """`repair` runs (in a thread) on each state first loaded from disk; its events
        are committed."""
        self._entries: dict[str, _Entry] = {}
        self._cached: dict[str, _Entry] = {}  # entries holding a state, least recent first
        self._min_compact_events = min_compact_events
        self._repair = repair
        self._max_cached = max_cached
        self._max_settled = max_settled

    def _entry(self, task_dir: Path) -> _Entry:
        key = os.path.abspath(task_dir)  # a str: building a Path per call costs
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry()
        elif entry.state is not None:  # most recently used last: eviction takes the front
            self._cached.pop(key, None)
            self._cached[key] = entry
        return entry

    @contextlib.asynccontextmanager
    async def locked(self, task_dir: Path) -> AsyncIterator[None]:
        """Hold the task's lock; on the way out, wait until what the call saw is durable."""
        key = os.path.abspath(task_dir)
        entry = self._entry(task_dir)
        entry.users += 1
        try:
            async with entry.lock:
                yield
                journal, seq = entry.journal, entry.state.seq if entry.state else 0
            if journal is not None:
                try:
                    await journal.wait_durable(seq)
                except JournalError:
                    async with entry.lock:
                        self._roll_back(entry, journal)
                    raise
        finally:
            entry.users -= 1
            self._drop_if_unknown(key, entry)
        self._evict_idle()

    def _drop_if_unknown(self, key: str, entry: _Entry) -> None:
        """Forget the entry of a directory that holds no task once no call uses it, so
        calls naming tasks that do not exist leave nothing behind.

        A task once loaded keeps its (small) entry: it remembers that the task
        was repaired, which a verification between its two locked steps relies on.
        """
        unused = not entry.users and entry.state is None and entry.journal is None
        if unused and not entry.repaired and self._entries.get(key) is entry:
            del self._entries[key]

    def _roll_back(self, entry: _Entry, journal: Journal) -> None:
        """After the journal was poisoned (a failed fsync, or a failed write that could
        not be cut back): forget the unsaved state; the next call reloads from disk and
        repairs files as after a crash (a result may have been published)."""
        if entry.journal is journal:
            journal.roll_back()
            journal.close()
            entry.state, entry.journal, entry.repaired = None, None, False

    def _evict_idle(self) -> None:
        """Drop the cached state of idle tasks, least recently used first: settled
        ones beyond `max_settled`, then any beyond `max_cached`."""
        cached = self._cached.items()
        settled = [k for k, e in cached if e.state is not None and e.state.is_settled()]
        surplus = set(settled[: max(0, len(settled) - self._max_settled)])
        excess = len(self._cached) - self._max_cached
        if excess <= 0 and not surplus:
            return
        for key in list(self._cached):
            if excess <= 0 and key not in surplus:
                continue
            entry = self._cached[key]
            if entry.users or (entry.journal is not None and entry.journal.busy()):
                continue
            if entry.journal is not None:
                entry.journal.close()
            entry.state, entry.journal = None, None
            del self._cached[key]
            excess -= 1

    async def load(self, task_dir: Path) -> TaskState | None:
        """The task's state (None before CreateTask); call with the lock held."""
        entry = self._entry(task_dir)
        if entry.state is None:
            loaded, replayed = await asyncio.to_thread(read_task, task_dir)
            if loaded is None:
                return None
            if entry.journal is not None:  # left by a load that failed half-way
                entry.journal.close()
            entry.journal = await asyncio.to_thread(
                Journal.open, task_dir / JOURNAL_NAME, loaded.seq
            )
            events: list[Event] = []
            if self._repair is not None and not entry.repaired:
                events = await asyncio.to_thread(self._repair, task_dir, loaded)
            entry.state, entry.journal_events, entry.repaired = loaded, replayed, True
            self._cached[os.path.abspath(task_dir)] = entry
            await self.commit(task_dir, events)
        return entry.state

    async def create(self, task_dir: Path, state: TaskState) -> None:
        """Save a new task's first snapshot; call with the lock held."""
        data = snapshot_bytes(state)
        await asyncio.to_thread(write_atomic, task_dir / SNAPSHOT_NAME, data)
        entry = self._entry(task_dir)
        if entry.journal is not None:
            entry.journal.close()
        entry.journal = await asyncio.to_thread(Journal.open, task_dir / JOURNAL_NAME, state.seq)
        entry.state, entry.journal_events, entry.repaired = state, 0, True
        self._cached[os.path.abspath(task_dir)] = entry

    async def commit(self, task_dir: Path, events: list[Event]) -> None:
        """Write `events` to the journal, then apply them to the cached state.

        Call with the lock held; leaving `locked()` makes them durable. The
        events must have been planned against the current state, so applying
        them cannot fail half-way. If the write fails, nothing is applied.
        """
        if not events:
            return
        entry = self._entry(task_dir)
        state, journal = entry.state, entry.journal
        if state is None or journal is None:
            raise RuntimeError(f"commit before load for {task_dir}")
        numbered = [{**event, "seq": state.seq + i + 1} for i, event in enumerate(events)]
        lines = b"".join(
            json.dumps(event, ensure_ascii=False).encode("utf-8") + b"\n" for event in numbered
        )
        try:
            journal.append(lines, numbered[-1]["seq"])
        except JournalError:
            if journal.poisoned is not None:  # cut what is not durable; reload cuts the rest
                self._roll_back(entry, journal)
            raise
        for event in numbered:
            state.apply(event)
        entry.journal_events += len(numbered)
        if entry.journal_events >= max(self._min_compact_events, len(state.parts)):
            try:
                await self.compact(task_dir)
            except OSError as exc:  # the journal still holds everything; try again later
                logger.warning("could not compact %s: %s", task_dir, exc)

    async def compact(self, task_dir: Path) -> None:
        """Fold the journal into the snapshot; call with the lock held."""
        entry = self._entry(task_dir)
        if entry.state is None or entry.journal is None:
            return
        data = snapshot_bytes(entry.state)
        await asyncio.to_thread(_compact, task_dir, data, entry.journal, entry.state.seq)
        entry.journal_events = 0
        logger.debug("compacted %s at seq %d", task_dir, entry.state.seq)

    def is_cached(self, task_dir: Path) -> bool:
        """Whether the task's state is in memory (diagnostics, tests)."""
        entry = self._entries.get(os.path.abspath(task_dir))
        return entry is not None and entry.state is not None

    def tracked(self) -> int:
        """How many task dirs this store keeps an entry for (diagnostics, tests)."""
        return len(self._entries)

    def forget(self, task_dir: Path) -> None:
        """Drop the cached state (tests use it to force a reload from disk)."""
        self._cached.pop(os.path.abspath(task_dir), None)
        entry = self._entries.pop(os.path.abspath(task_dir), None)
        if entry is not None and entry.journal is not None:
            entry.journal.close()
