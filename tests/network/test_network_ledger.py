"""The node's ledger: typed states, one table of legal moves, checked on write and replay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from golem_task_api.node.network import workroot
from golem_task_api.node.network.workroot import LEGAL_MOVES, SubtaskState


def test_the_ledger_writes_the_same_strings_as_before(tmp_path: Path) -> None:
    ledger = workroot.Ledger.open(tmp_path)
    ledger.write("a", SubtaskState.STARTED, provider="p1")
    ledger.write("a", SubtaskState.DELIVERED, result="a.zip")
    lines = [json.loads(line) for line in ledger.path.read_text().splitlines()]
    assert lines == [
        {"subtask_id": "a", "state": "started", "provider": "p1"},
        {"subtask_id": "a", "state": "delivered", "result": "a.zip"},
    ]


def test_a_ledger_as_earlier_runs_wrote_it_replays(tmp_path: Path) -> None:
    steps = [
        {"task": "created"},
        {"subtask_id": "a", "state": "started", "provider": "p1"},
        {"subtask_id": "a", "state": "delivered", "result": "a.zip"},
        {"subtask_id": "a", "state": "verified", "work": 3.0, "published": "t-a.zip"},
        {"subtask_id": "b", "state": "started", "provider": "p2"},
        {"subtask_id": "b", "state": "unused"},
        {"subtask_id": "c", "state": "started", "provider": "p1"},
        {"subtask_id": "c", "state": "failed"},
        {"subtask_id": "d", "state": "started", "provider": "p2"},
        {"subtask_id": "d", "state": "aborted"},
        {"subtask_id": "e", "state": "started", "provider": "p1"},
    ]
    (tmp_path / workroot.LEDGER_FILE).write_text("".join(json.dumps(s) + "\n" for s in steps))
    ledger = workroot.Ledger.open(tmp_path)
    assert ledger.task_created
    assert set(ledger.verified()) == {"a"} and set(ledger.unsettled()) == {"e"}
    assert ledger.entries["d"].state is SubtaskState.ABORTED


@pytest.mark.parametrize(
    ("before", "state"),
    [
        ([], SubtaskState.DELIVERED),  # never started
        ([SubtaskState.STARTED, SubtaskState.VERIFIED], SubtaskState.FAILED),  # settled
        ([SubtaskState.STARTED, SubtaskState.UNUSED], SubtaskState.STARTED),
        ([SubtaskState.STARTED, SubtaskState.DELIVERED], SubtaskState.UNUSED),
    ],
)
def test_a_move_off_the_table_is_refused_and_not_written(
    tmp_path: Path, before: list[SubtaskState], state: SubtaskState
) -> None:
    ledger = workroot.Ledger.open(tmp_path)
    for step in before:
        ledger.write("a", step)
    size = ledger.path.stat().st_size if ledger.path.exists() else 0
    with pytest.raises(workroot.IllegalLedgerMove, match="not a legal move"):
        ledger.write("a", state)
    assert (ledger.path.stat().st_size if ledger.path.exists() else 0) == size


def test_a_ledger_that_breaks_the_table_is_refused_on_replay(tmp_path: Path) -> None:
    steps = [
        {"subtask_id": "a", "state": "started"},
        {"subtask_id": "a", "state": "verified"},
        {"subtask_id": "a", "state": "started"},
    ]
    (tmp_path / workroot.LEDGER_FILE).write_text("".join(json.dumps(s) + "\n" for s in steps))
    with pytest.raises(workroot.LedgerDamaged, match="line 3"):
        workroot.Ledger.open(tmp_path)


def test_every_state_is_in_the_table() -> None:
    assert set(LEGAL_MOVES) == {None, *SubtaskState}
    reachable = set().union(*LEGAL_MOVES.values())
    assert reachable == set(SubtaskState)
