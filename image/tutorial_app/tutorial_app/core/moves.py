"""Planning moves: the events of a move, checked against the state, changing nothing.

Commands ask these for the events of a move; `state.check` (the same table
`TaskState.apply` uses) raises `IllegalMove` or `UnknownSubtask` *before*
anything is journaled.
"""

from __future__ import annotations

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
from tutorial_app.core.state import LEGAL_MOVES, SubtaskStatus, TaskState, check
from tutorial_app.search.pow import Proof


def plan_assign(state: TaskState, subtask_id: str, node: str) -> Assigned | None:
    """The event handing the next pending part to `subtask_id`; None if none is pending."""
    index = state.next_pending()
    event = Assigned(subtask_id, -1 if index is None else index, node)
    if subtask_id in state.subtasks or index is not None:
        check(state, event)  # a reused id is refused even when nothing is pending
    return None if index is None else event


def plan_verdict(
    state: TaskState, subtask_id: str, ok: bool, reason: str, proof: Proof | None = None
) -> list[Event]:
    """The two events of a verification: start it, then accept (with the proof) or reject."""
    check(state, VerifyStarted(subtask_id))
    end: Event
    if ok:
        nonce, hash_hex = (proof.nonce, proof.hash_hex) if proof else (None, None)
        end = Verified(subtask_id, reason, nonce, hash_hex)
    else:
        end = Rejected(subtask_id, reason)
    return [VerifyStarted(subtask_id), end]


def plan_discard(state: TaskState, subtask_ids: list[str]) -> list[Discarded]:
    """Discard events for the known ids that have a result or work to discard."""
    allowed = LEGAL_MOVES[Discarded].allowed
    planned: dict[str, Discarded] = {}
    for sid in subtask_ids:
        sub = state.subtasks.get(sid)
        if sub is not None and sub.status in allowed:
            planned.setdefault(sid, Discarded(sid))
    return list(planned.values())


def plan_abort_subtask(state: TaskState, subtask_id: str) -> SubtaskAborted:
    event = SubtaskAborted(subtask_id)
    check(state, event)
    return event


def plan_abort_task(state: TaskState) -> TaskAborted:
    return TaskAborted()


def recover_interrupted(state: TaskState) -> list[Event]:
    """Events that undo a verification a crash cut short (verifying -> in progress)."""
    return [
        VerifyInterrupted(sid)
        for sid, sub in state.subtasks.items()
        if sub.status is SubtaskStatus.VERIFYING
    ]
