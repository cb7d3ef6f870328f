"""The pure state machine: legal moves, illegal moves, invariants under random play,
and a state that grows with parts, not with history."""

from __future__ import annotations

import pytest
from golem_task_api.wire import errors
from hypothesis import given, settings
from hypothesis import strategies as st
from tutorial_app.core import events as ev
from tutorial_app.core import moves, state
from tutorial_app.core.state import (
    IllegalMove,
    PartStatus,
    SubtaskStatus,
    TaskState,
    UnknownSubtask,
)
from tutorial_app.store import snapshot


def make(parts: int = 3) -> TaskState:
    return state.new_task("text", 4, [f"s{i}" for i in range(parts)])


def run(task: TaskState, events: list[ev.Event]) -> None:
    for event in events:
        task.apply(event)


def assign(task: TaskState, sid: str) -> int:
    event = moves.plan_assign(task, sid, "node")
    assert event is not None
    task.apply(event)
    return event.part


def test_assign_verify_done() -> None:
    task = make(2)
    part = assign(task, "a")
    assert task.parts[part].status is PartStatus.IN_PROGRESS
    assert task.parts[part].subtask_id == "a"
    run(task, moves.plan_verdict(task, "a", True, "fine"))
    assert task.parts[part].status is PartStatus.DONE
    assert task.subtasks["a"].status is SubtaskStatus.DONE
    assert task.has_pending()
    assign(task, "b")
    assert not task.has_pending()
    assert moves.plan_assign(task, "c", "node") is None


def test_failed_verification_makes_part_pending_again() -> None:
    task = make(1)
    part = assign(task, "a")
    run(task, moves.plan_verdict(task, "a", False, "bad"))
    assert task.parts[part].status is PartStatus.PENDING
    assert task.subtasks["a"].status is SubtaskStatus.FAILED
    assert task.subtasks["a"].reason == "bad"
    assert assign(task, "b") == part


def test_part_input_is_text_plus_salt() -> None:
    task = make(2)
    assert task.part_input(1) == "texts1"


def test_reused_subtask_id_is_illegal() -> None:
    task = make(2)
    assign(task, "a")
    with pytest.raises(IllegalMove, match="already used"):
        moves.plan_assign(task, "a", "node")


def test_verify_unknown_or_done_is_illegal() -> None:
    task = make(1)
    with pytest.raises(UnknownSubtask, match="unknown subtask 'x'"):
        moves.plan_verdict(task, "x", True, "")
    assign(task, "a")
    run(task, moves.plan_verdict(task, "a", True, ""))
    with pytest.raises(IllegalMove, match="it is done, not in_progress"):
        moves.plan_verdict(task, "a", True, "")


def test_discard_skips_unknown_and_duplicates() -> None:
    task = make(2)
    assign(task, "a")
    run(task, moves.plan_verdict(task, "a", True, ""))
    events = moves.plan_discard(task, ["zzz", "a", "a"])
    assert [e.subtask_id for e in events] == ["a"]
    run(task, events)
    assert task.count(PartStatus.PENDING) == 2


def test_abort_subtask_and_task() -> None:
    task = make(3)
    assign(task, "a")
    assign(task, "b")
    run(task, moves.plan_verdict(task, "a", True, ""))
    task.apply(moves.plan_abort_subtask(task, "b"))
    assert task.subtasks["b"].status is SubtaskStatus.ABORTED
    with pytest.raises(IllegalMove, match="cannot abort"):
        moves.plan_abort_subtask(task, "b")
    assign(task, "c")
    task.apply(moves.plan_abort_task(task))
    assert not task.has_pending()
    assert task.subtasks["c"].status is SubtaskStatus.ABORTED
    assert task.count(PartStatus.DONE) == 1
    assert task.count(PartStatus.ABORTED) == 2
    assert moves.plan_assign(task, "d", "node") is None


def test_interrupted_verification_resumes_in_progress() -> None:
    task = make(1)
    assign(task, "a")
    task.apply(moves.plan_verdict(task, "a", True, "")[0])
    assert task.parts[0].status is PartStatus.VERIFYING
    run(task, moves.recover_interrupted(task))
    assert task.subtasks["a"].status is SubtaskStatus.IN_PROGRESS
    run(task, moves.plan_verdict(task, "a", True, ""))
    assert task.is_finished()


def test_illegal_apply_changes_nothing() -> None:
    task = make(1)
    with pytest.raises(IllegalMove, match="part 5 is not pending"):
        task.apply(ev.Assigned("a", 5))
    assign(task, "a")
    before = snapshot.to_json(task, {})
    # The table that refuses a plan refuses the same event on replay.
    with pytest.raises(IllegalMove, match="cannot accept subtask 'a': it is in_progress"):
        task.apply(ev.Verified("a", "skipped verifying"))
    with pytest.raises(UnknownSubtask):
        task.apply(ev.SubtaskAborted("zz"))
    assert snapshot.to_json(task, {}) == before
    with pytest.raises(IllegalMove, match="at least one part"):
        state.new_task("x", 1, [])


def test_error_types_say_whose_fault() -> None:
    assert errors.status_for(IllegalMove("x")) == ("FAILED_PRECONDITION", False)
    assert errors.status_for(UnknownSubtask("x")) == ("NOT_FOUND", False)
    assert errors.status_for(ev.DamagedState("x")) == ("INTERNAL", True)
    assert errors.status_for(errors.InvalidArgument("x")) == ("INVALID_ARGUMENT", False)
    try:
        "\xff".encode("latin-1").decode("utf-8")
    except UnicodeDecodeError as exc:  # from reading our own file: not the node's fault
        assert errors.status_for(exc) == ("INTERNAL", True)
    assert errors.status_for(ValueError("legacy")) == ("INVALID_ARGUMENT", False)


def test_every_event_round_trips_through_its_journal_line() -> None:
    samples: list[ev.Event] = [
        ev.Assigned("a", 3, "node"),
        ev.VerifyStarted("a"),
        ev.Verified("a", "ok"),
        ev.Rejected("a", None),
        ev.Discarded("a"),
        ev.SubtaskAborted("a"),
        ev.TaskAborted(),
        ev.VerifyInterrupted("a"),
    ]
    for seq, event in enumerate(samples, 1):
        assert ev.from_json(ev.to_json(event, seq)) == (event, seq)
    for bad in ([], {"type": "nope", "seq": 1}, {"type": "assigned", "seq": 1, "part": 0}):
        with pytest.raises(ev.DamagedState):
            ev.from_json(bad)
    with pytest.raises(ev.DamagedState, match="bad 'part'"):
        ev.from_json({"type": "assigned", "seq": 1, "subtask_id": "a", "part": True})


def test_history_is_folded_into_per_part_counts() -> None:
    """24,000 abort cycles on one part leave one subtask and a count (regression: every
    attempt stayed in the state forever)."""
    task = make(1)
    for n in range(24_000):
        assign(task, f"s{n}")
        task.apply(moves.plan_abort_subtask(task, f"s{n}"))
    assert len(task.subtasks) == 1 and task.attempts(0) == 24_000
    assert task.parts[0].last == "s23999"
    assert task.subtasks["s23999"].status is SubtaskStatus.ABORTED
    with pytest.raises(UnknownSubtask):  # a folded attempt is forgotten
        moves.plan_verdict(task, "s5", True, "")
    assign(task, "last")
    run(task, moves.plan_verdict(task, "last", True, "fine"))
    assert len(task.subtasks) == 1 and task.attempts(0) == 24_001 and task.is_finished()


def check_invariants(task: TaskState, done_before: set[int], discarded: set[int]) -> None:
    holders: dict[int, list[str]] = {}
    for sid, sub in task.subtasks.items():
        if sub.status in (SubtaskStatus.IN_PROGRESS, SubtaskStatus.VERIFYING):
            holders.setdefault(sub.part, []).append(sid)
    for index, part in enumerate(task.parts):
        active = holders.get(index, [])
        assert len(active) <= 1
        if part.status in (PartStatus.IN_PROGRESS, PartStatus.VERIFYING):
            assert active == [part.subtask_id]
        elif part.status is PartStatus.DONE:
            assert not active and part.subtask_id is not None
            assert task.subtasks[part.subtask_id].status is SubtaskStatus.DONE
        else:
            assert not active and part.subtask_id is None
        if index in done_before and index not in discarded:
            assert part.status is PartStatus.DONE
    pending = {i for i, p in enumerate(task.parts) if p.status is PartStatus.PENDING}
    assert task.has_pending() == bool(pending)
    assert task.is_settled() == (not pending and not holders)
    if task.aborted:
        assert not pending


MOVES = st.lists(
    st.tuples(
        st.sampled_from(["assign", "pass", "fail", "discard", "abort_sub", "abort_task"]),
        st.integers(0, 12),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(parts=st.integers(1, 5), steps=MOVES)
def test_random_moves_keep_invariants(parts: int, steps: list[tuple[str, int]]) -> None:
    task = make(parts)
    replica = make(parts)
    journal: list[ev.Event] = []
    done: set[int] = set()
    for move, n in steps:
        sid = f"s{n}"
        discarded: set[int] = set()
        try:
            if move == "assign":
                event = moves.plan_assign(task, sid, "node")
                events = [event] if event else []
            elif move in ("pass", "fail"):
                events = moves.plan_verdict(task, sid, move == "pass", move)
            elif move == "discard":
                events = moves.plan_discard(task, [sid])
                discarded = {task.subtasks[sid].part for _ in events}
            elif move == "abort_sub":
                events = [moves.plan_abort_subtask(task, sid)]
            else:
                events = [moves.plan_abort_task(task)]
        except (IllegalMove, UnknownSubtask):
            continue
        run(task, events)
        journal.extend(events)
        check_invariants(task, done, discarded)
        done = {i for i, p in enumerate(task.parts) if p.status is PartStatus.DONE}
    run(replica, journal)
    meta = snapshot.input_meta(b"text")
    assert snapshot.to_json(replica, meta) == snapshot.to_json(task, meta)
    reloaded = snapshot.from_json(snapshot.to_json(task, meta), b"text")
    assert snapshot.to_json(reloaded, meta) == snapshot.to_json(task, meta)
    assert len(task.subtasks) <= parts
    assert reloaded.is_settled() == replica.is_settled() == task.is_settled()
