"""The task's state and how events change it: plain data, no I/O.

Every change is an event (a JSON-ready dict). Commands ask
`tutorial_app.moves` for the events of a move, which raises `IllegalMove`
*before* anything changes; the store journals the events and then calls
`apply`, which checks each move again.
Replaying the same events on a snapshot gives the same state, which is
what makes the journal a faithful record.

A task is split into parts (one per subtask slot). A part moves
pending -> in_progress -> verifying -> done, or back to pending (failed
verification, discard, abort of its subtask); `abort_task` makes every
part that is not done aborted.
"""

from __future__ import annotations

import collections
import enum
from dataclasses import dataclass, field
from typing import Any

Event = dict[str, Any]

FORMAT_VERSION = 1


class IllegalMove(ValueError):
    """A move the task's state does not allow (maps to INVALID_ARGUMENT)."""


class PartStatus(enum.StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    DONE = "done"
    ABORTED = "aborted"


class SubtaskStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    DONE = "done"
    FAILED = "failed"
    DISCARDED = "discarded"
    ABORTED = "aborted"


ACTIVE = (SubtaskStatus.IN_PROGRESS, SubtaskStatus.VERIFYING)


@dataclass(slots=True)
class Part:
    """One slice of the work: its own salt, so each part's proof differs."""

    salt: str
    status: PartStatus = PartStatus.PENDING
    subtask_id: str | None = None


@dataclass(slots=True)
class Subtask:
    """One attempt at a part, named by the node's subtask id."""

    part: int
    node: str
    status: SubtaskStatus = SubtaskStatus.IN_PROGRESS
    reason: str | None = None


@dataclass
class TaskState:
    """Everything the requestor knows about one task."""

    input_text: str
    difficulty: int
    parts: list[Part]
    subtasks: dict[str, Subtask] = field(default_factory=dict)
    aborted: bool = False
    seq: int = 0
    _pending: collections.deque[int] = field(default_factory=collections.deque, repr=False)
    _active: int = field(default=0, repr=False)  # subtasks in progress or verifying

    def __post_init__(self) -> None:
        self._pending = collections.deque(
            i for i, part in enumerate(self.parts) if part.status is PartStatus.PENDING
        )
        self._active = sum(1 for sub in self.subtasks.values() if sub.status in ACTIVE)

    # -- queries -------------------------------------------------------------

    def part_input(self, index: int) -> str:
        """The data a provider hashes for this part: the text plus its salt."""
        return self.input_text + self.parts[index].salt

    def next_pending(self) -> int | None:
        """The pending part handed out next, O(1) amortized (stale entries skipped)."""
        while self._pending:
            index = self._pending[0]
            if self.parts[index].status is PartStatus.PENDING:
                return index
            self._pending.popleft()
        return None

    def has_pending(self) -> bool:
        return self.next_pending() is not None

    def is_settled(self) -> bool:
        """Nothing pending and nothing out with a provider: the task waits on nobody."""
        return self._active == 0 and not self.has_pending()

    def subtask(self, subtask_id: str) -> Subtask:
        try:
            return self.subtasks[subtask_id]
        except KeyError:
            raise IllegalMove(f"unknown subtask {subtask_id!r}") from None

    def count(self, status: PartStatus) -> int:
        return sum(1 for part in self.parts if part.status is status)

    def is_finished(self) -> bool:
        return all(part.status is PartStatus.DONE for part in self.parts)

    # -- the one way to change state -----------------------------------------

    def apply(self, event: Event) -> None:
        """Apply one journaled event; raises IllegalMove if it does not fit."""
        kind = event.get("type")
        handler = _APPLY.get(str(kind))
        if handler is None:
            raise IllegalMove(f"unknown event type {kind!r}")
        handler(self, event)
        self.seq = int(event.get("seq", self.seq + 1))

    # -- JSON ----------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "seq": self.seq,
            "difficulty": self.difficulty,
            "aborted": self.aborted,
            "input_text": self.input_text,
            "parts": [
                {"salt": p.salt, "status": p.status.value, "subtask_id": p.subtask_id}
                for p in self.parts
            ],
            "subtasks": {
                sid: {"part": s.part, "node": s.node, "status": s.status.value, "reason": s.reason}
                for sid, s in self.subtasks.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskState:
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"unsupported task state format {data.get('format')!r}")
        return cls(
            input_text=data["input_text"],
            difficulty=int(data["difficulty"]),
            parts=[
                Part(p["salt"], PartStatus(p["status"]), p["subtask_id"]) for p in data["parts"]
            ],
            subtasks={
                sid: Subtask(s["part"], s["node"], SubtaskStatus(s["status"]), s["reason"])
                for sid, s in data["subtasks"].items()
            },
            aborted=bool(data["aborted"]),
            seq=int(data["seq"]),
        )


def new_task(input_text: str, difficulty: int, salts: list[str]) -> TaskState:
    """A fresh task with one pending part per salt."""
    if not salts:
        raise IllegalMove("a task needs at least one part")
    return TaskState(input_text, difficulty, [Part(salt) for salt in salts])


def require_status(
    state: TaskState, subtask_id: str, allowed: tuple[SubtaskStatus, ...], verb: str
) -> Subtask:
    """The subtask, if its status allows the move `verb`; IllegalMove otherwise."""
    sub = state.subtask(subtask_id)
    if sub.status not in allowed:
        wanted = " or ".join(s.value for s in allowed)
        raise IllegalMove(
            f"cannot {verb} subtask {subtask_id!r}: it is {sub.status.value}, not {wanted}"
        )
    return sub


# -- applying ------------------------------------------------------------------


def _release(state: TaskState, sub: Subtask, status: SubtaskStatus) -> None:
    """End a subtask and give its part back: pending, or aborted if the task is."""
    if sub.status in ACTIVE:
        state._active -= 1
    sub.status = status
    part = state.parts[sub.part]
    part.subtask_id = None
    if state.aborted:
        part.status = PartStatus.ABORTED
    else:
        part.status = PartStatus.PENDING
        state._pending.append(sub.part)


def _apply_assigned(state: TaskState, event: Event) -> None:
    sid, index = str(event["subtask_id"]), int(event["part"])
    if sid in state.subtasks:
        raise IllegalMove(f"subtask id {sid!r} was already used")
    if not 0 <= index < len(state.parts) or state.parts[index].status is not PartStatus.PENDING:
        raise IllegalMove(f"part {index} is not pending")
    part = state.parts[index]
    part.status, part.subtask_id = PartStatus.IN_PROGRESS, sid
    state.subtasks[sid] = Subtask(index, str(event.get("node", "")))
    state._active += 1


def _apply_verifying(state: TaskState, event: Event) -> None:
    sub = require_status(state, str(event["subtask_id"]), (SubtaskStatus.IN_PROGRESS,), "verify")
    sub.status = SubtaskStatus.VERIFYING
    state.parts[sub.part].status = PartStatus.VERIFYING


def _apply_verified(state: TaskState, event: Event) -> None:
    sid = str(event["subtask_id"])
    sub = require_status(state, sid, (SubtaskStatus.VERIFYING,), "accept")
    sub.status, sub.reason = SubtaskStatus.DONE, event.get("reason")
    state.parts[sub.part].status = PartStatus.DONE
    state._active -= 1


def _apply_rejected(state: TaskState, event: Event) -> None:
    sub = require_status(state, str(event["subtask_id"]), (SubtaskStatus.VERIFYING,), "reject")
    sub.reason = event.get("reason")
    _release(state, sub, SubtaskStatus.FAILED)


def _apply_discarded(state: TaskState, event: Event) -> None:
    allowed = (SubtaskStatus.DONE, *ACTIVE)
    sub = require_status(state, str(event["subtask_id"]), allowed, "discard")
    _release(state, sub, SubtaskStatus.DISCARDED)


def _apply_subtask_aborted(state: TaskState, event: Event) -> None:
    sub = require_status(state, str(event["subtask_id"]), ACTIVE, "abort")
    _release(state, sub, SubtaskStatus.ABORTED)


def _apply_task_aborted(state: TaskState, event: Event) -> None:
    state.aborted = True
    for sub in state.subtasks.values():
        if sub.status in ACTIVE:
            _release(state, sub, SubtaskStatus.ABORTED)
    for part in state.parts:
        if part.status is PartStatus.PENDING:
            part.status = PartStatus.ABORTED
    state._pending.clear()


def _apply_verify_interrupted(state: TaskState, event: Event) -> None:
    sub = require_status(state, str(event["subtask_id"]), (SubtaskStatus.VERIFYING,), "resume")
    sub.status = SubtaskStatus.IN_PROGRESS
    state.parts[sub.part].status = PartStatus.IN_PROGRESS


_APPLY = {
    "assigned": _apply_assigned,
    "verifying": _apply_verifying,
    "verified": _apply_verified,
    "rejected": _apply_rejected,
    "discarded": _apply_discarded,
    "subtask_aborted": _apply_subtask_aborted,
    "task_aborted": _apply_task_aborted,
    "verify_interrupted": _apply_verify_interrupted,
}
