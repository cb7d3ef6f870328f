"""Planning moves: check that a move is legal and name its events, changing nothing.

Commands ask these for the events of a move; `IllegalMove` comes *before*
anything is journaled. The events then reach the state only through
`TaskState.apply`, live or on replay.
"""

from __future__ import annotations

from tutorial_app.state import ACTIVE, Event, IllegalMove, SubtaskStatus, TaskState, require_status


def plan_assign(state: TaskState, subtask_id: str, node: str) -> Event | None:
    """Events for handing the next pending part to `subtask_id`; None if none."""
    if subtask_id in state.subtasks:
        raise IllegalMove(f"subtask id {subtask_id!r} was already used; use a new id")
    index = state.next_pending()
    if index is None:
        return None
    return {"type": "assigned", "subtask_id": subtask_id, "part": index, "node": node}


def plan_verdict(state: TaskState, subtask_id: str, ok: bool, reason: str) -> list[Event]:
    """The two events of a verification: start it, then accept or reject."""
    require_status(state, subtask_id, (SubtaskStatus.IN_PROGRESS,), "verify")
    end = "verified" if ok else "rejected"
    return [
        {"type": "verifying", "subtask_id": subtask_id},
        {"type": end, "subtask_id": subtask_id, "reason": reason},
    ]


def plan_discard(state: TaskState, subtask_ids: list[str]) -> list[Event]:
    """Discard events for the ids that have a result or work to discard."""
    events: list[Event] = []
    seen: set[str] = set()
    for sid in subtask_ids:
        sub = state.subtasks.get(sid)
        if sid in seen or sub is None:
            continue
        if sub.status in (SubtaskStatus.DONE, *ACTIVE):
            events.append({"type": "discarded", "subtask_id": sid})
            seen.add(sid)
    return events


def plan_abort_subtask(state: TaskState, subtask_id: str) -> Event:
    require_status(state, subtask_id, ACTIVE, "abort")
    return {"type": "subtask_aborted", "subtask_id": subtask_id}


def plan_abort_task(state: TaskState) -> Event:
    return {"type": "task_aborted"}


def recover_interrupted(state: TaskState) -> list[Event]:
    """Events that undo a verification a crash cut short (verifying -> in progress)."""
    return [
        {"type": "verify_interrupted", "subtask_id": sid}
        for sid, sub in state.subtasks.items()
        if sub.status is SubtaskStatus.VERIFYING
    ]
