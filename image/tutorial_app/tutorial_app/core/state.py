"""The task's state, the one table of legal moves, and how events change it: no I/O.

A task is split into parts (one per subtask slot). A part moves
pending -> in_progress -> verifying -> done, or back to pending (failed
verification, discard, abort of its subtask); `TaskAborted` makes every
part that is not done aborted.

`check` is the only judge of whether an event fits the state: commands
plan with it (through `tutorial_app.core.moves`) before anything is journaled,
and `apply` runs it again, live and on replay, so the two cannot disagree.

The state grows with parts, not with history: each part keeps only its
latest attempt as a `Subtask` (in flight, done, or how the last one ended)
and counts the earlier ones. Handing a part out again folds its previous
attempt into that count, so a task's size is O(parts) however often its
subtasks fail or are aborted. The ids of folded attempts are forgotten.
"""

from __future__ import annotations

import collections
import enum
from dataclasses import dataclass, field

from golem_task_api.wire.errors import FailedPrecondition, NotFound

from tutorial_app.core.events import (
    Assigned,
    Discarded,
    Event,
    Rejected,
    SubtaskAborted,
    TaskAborted,
    Verified,
    VerifyInterrupted,
    VerifyStarted,
)
from tutorial_app.search.pow import Proof


class IllegalMove(FailedPrecondition):
    """A move the task's state does not allow now (FAILED_PRECONDITION)."""


class UnknownSubtask(NotFound):
    """No subtask of this task has (or still remembers) this id (NOT_FOUND)."""


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


@dataclass(frozen=True)
class Move:
    """A move on one subtask: its name, the statuses it starts from, where it ends."""

    verb: str
    allowed: tuple[SubtaskStatus, ...]
    ends: SubtaskStatus


#: The one table of legal moves on a subtask, for planning and replay alike.
#: (`Assigned` and `TaskAborted` are moves on the task; see `check`.)
LEGAL_MOVES: dict[type, Move] = {
    VerifyStarted: Move("verify", (SubtaskStatus.IN_PROGRESS,), SubtaskStatus.VERIFYING),
    Verified: Move("accept", (SubtaskStatus.VERIFYING,), SubtaskStatus.DONE),
    Rejected: Move("reject", (SubtaskStatus.VERIFYING,), SubtaskStatus.FAILED),
    Discarded: Move("discard", (SubtaskStatus.DONE, *ACTIVE), SubtaskStatus.DISCARDED),
    SubtaskAborted: Move("abort", ACTIVE, SubtaskStatus.ABORTED),
    VerifyInterrupted: Move("resume", (SubtaskStatus.VERIFYING,), SubtaskStatus.IN_PROGRESS),
}

#: What a part's status becomes when its subtask's does (None: the part is released).
_PART_AFTER = {
    SubtaskStatus.IN_PROGRESS: PartStatus.IN_PROGRESS,
    SubtaskStatus.VERIFYING: PartStatus.VERIFYING,
    SubtaskStatus.DONE: PartStatus.DONE,
}


@dataclass(slots=True)
class Part:
    """One slice of the work: its own salt, so each part's proof differs."""

    salt: str
    status: PartStatus = PartStatus.PENDING
    subtask_id: str | None = None  # the subtask holding it: in flight or done
    last: str | None = None  # its latest attempt, kept in `TaskState.subtasks`
    earlier: int = 0  # attempts before `last`, folded into this count


@dataclass(slots=True)
class Subtask:
    """One attempt at a part, named by the node's subtask id."""

    part: int
    node: str
    status: SubtaskStatus = SubtaskStatus.IN_PROGRESS
    reason: str | None = None
    proof: Proof | None = None  # an accepted one's: what `task_outputs` is rebuilt from


@dataclass
class TaskState:
    """Everything the requestor knows about one task."""

    input_text: str
    difficulty: int
    parts: list[Part]
    subtasks: dict[str, Subtask] = field(default_factory=dict)  # each part's latest
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
            raise UnknownSubtask(f"unknown subtask {subtask_id!r}") from None

    def attempts(self, index: int) -> int:
        """How many subtasks part `index` was handed to, all told."""
        part = self.parts[index]
        return part.earlier + (part.last is not None)

    def count(self, status: PartStatus) -> int:
        return sum(1 for part in self.parts if part.status is status)

    def is_finished(self) -> bool:
        return all(part.status is PartStatus.DONE for part in self.parts)

    # -- the one way to change state -----------------------------------------

    def apply(self, event: Event) -> None:
        """Apply one event; IllegalMove / UnknownSubtask (nothing changed) if it does not fit."""
        check(self, event)
        if isinstance(event, Assigned):
            self._assign(event)
        elif isinstance(event, TaskAborted):
            self._abort_task()
        else:
            sub = self.subtasks[event.subtask_id]
            self._move(sub, LEGAL_MOVES[type(event)].ends)
            if isinstance(event, Verified | Rejected):
                sub.reason = event.reason
            if isinstance(event, Verified) and event.nonce is not None and event.hash:
                sub.proof = Proof(event.hash, event.nonce)
            elif sub.status is not SubtaskStatus.DONE:  # discarded: no result to rebuild
                sub.proof = None
        self.seq += 1

    def _assign(self, event: Assigned) -> None:
        part = self.parts[event.part]
        if part.last is not None:  # fold the previous attempt into the count
            del self.subtasks[part.last]
            part.earlier += 1
        part.status, part.subtask_id, part.last = (
            PartStatus.IN_PROGRESS,
            event.subtask_id,
            event.subtask_id,
        )
        self.subtasks[event.subtask_id] = Subtask(event.part, event.node)
        self._active += 1

    def _move(self, sub: Subtask, status: SubtaskStatus) -> None:
        self._active += (status in ACTIVE) - (sub.status in ACTIVE)
        sub.status = status
        part = self.parts[sub.part]
        after = _PART_AFTER.get(status)
        if after is not None:
            part.status = after
            return
        part.subtask_id = None
        if self.aborted:
            part.status = PartStatus.ABORTED
        else:
            part.status = PartStatus.PENDING
            self._pending.append(sub.part)

    def _abort_task(self) -> None:
        self.aborted = True
        for sub in self.subtasks.values():
            if sub.status in ACTIVE:
                self._move(sub, SubtaskStatus.ABORTED)
        for part in self.parts:
            if part.status is PartStatus.PENDING:
                part.status = PartStatus.ABORTED
        self._pending.clear()


def check(state: TaskState, event: Event) -> Subtask | None:
    """Raise IllegalMove or UnknownSubtask unless `event` fits `state`; changes nothing."""
    if isinstance(event, TaskAborted):
        return None
    if isinstance(event, Assigned):
        if event.subtask_id in state.subtasks:
            raise IllegalMove(f"subtask id {event.subtask_id!r} was already used; use a new id")
        index = event.part
        if not 0 <= index < len(state.parts) or state.parts[index].status is not PartStatus.PENDING:
            raise IllegalMove(f"part {index} is not pending")
        return None
    sub = state.subtask(event.subtask_id)
    move = LEGAL_MOVES[type(event)]
    if sub.status not in move.allowed:
        wanted = " or ".join(s.value for s in move.allowed)
        raise IllegalMove(
            f"cannot {move.verb} subtask {event.subtask_id!r}: "
            f"it is {sub.status.value}, not {wanted}"
        )
    return sub


def new_task(input_text: str, difficulty: int, salts: list[str]) -> TaskState:
    """A fresh task with one pending part per salt."""
    if not salts:
        raise IllegalMove("a task needs at least one part")
    return TaskState(input_text, difficulty, [Part(salt) for salt in salts])
