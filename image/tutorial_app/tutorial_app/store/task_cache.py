"""Which tasks keep their state in memory: one entry per task dir, an LRU of loaded states.

A work dir may hold many tasks, so memory must not grow with their number:
only the most recently used idle tasks keep their state (others reload it
from disk on demand), and settled tasks (nothing pending or out) leave
first, since a call to them is the least likely. An entry itself outlives
its state once the task was loaded: it holds the task's lock and remembers
that the files were repaired. `TaskStore` decides when to load and write;
this module only decides what stays.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from tutorial_app.core.state import TaskState
from tutorial_app.store.journal import Journal

#: Idle tasks beyond this many drop their cached state (reloaded on demand).
MAX_CACHED_TASKS = 32
#: Of those, settled tasks (nothing pending or out) beyond this many go first.
MAX_CACHED_SETTLED = 4


@dataclass
class TaskEntry:
    """One task dir's lock and, while cached, its loaded state and open journal."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    state: TaskState | None = None
    journal: Journal | None = None
    input_meta: dict[str, Any] | None = None
    journal_events: int = 0
    repaired: bool = False  # kept across a roll-back: files are repaired once per process
    users: int = 0  # calls inside `session()`, holding or waiting for the lock


class TaskCache:
    """Entries by absolute task dir; those holding a state in least-recently-used order."""

    def __init__(
        self, max_cached: int = MAX_CACHED_TASKS, max_settled: int = MAX_CACHED_SETTLED
    ) -> None:
        self._entries: dict[str, TaskEntry] = {}
        self._cached: dict[str, TaskEntry] = {}  # entries holding a state, least recent first
        self._max_cached = max_cached
        self._max_settled = max_settled

    def entry(self, key: str) -> TaskEntry:
        """The task's entry, made if new; a cached one becomes the most recently used."""
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = TaskEntry()
        elif entry.state is not None:  # most recently used last: eviction takes the front
            self._cached.pop(key, None)
            self._cached[key] = entry
        return entry

    def get(self, key: str) -> TaskEntry | None:
        """The task's entry if there is one, leaving the order alone."""
        return self._entries.get(key)

    def keep(self, key: str, entry: TaskEntry) -> None:
        """Count `entry`, which now holds a state, among the cached ones."""
        self._cached[key] = entry

    def drop_if_unknown(self, key: str, entry: TaskEntry) -> None:
        """Forget the entry of a directory that holds no task once no call uses it.

        A task once loaded keeps its (small) entry: it remembers that the task's
        files were repaired, so a reload never repairs under a call in flight.
        """
        unused = not entry.users and entry.state is None and entry.journal is None
        if unused and not entry.repaired and self._entries.get(key) is entry:
            del self._entries[key]

    def evict_idle(self) -> None:
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

    def forget(self, key: str) -> TaskEntry | None:
        """Drop the task's entry altogether and return it (its journal is still open)."""
        self._cached.pop(key, None)
        return self._entries.pop(key, None)

    def __len__(self) -> int:
        """How many task dirs have an entry."""
        return len(self._entries)
