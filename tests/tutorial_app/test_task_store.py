"""The store: round-trips, journal replay, compaction, torn journal tails."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tutorial_app import moves, state, store
from tutorial_app.state import IllegalMove, TaskState


def fresh(tmp_path: Path, parts: int = 4) -> tuple[store.TaskStore, TaskState]:
    return store.TaskStore(min_compact_events=1000), state.new_task(
        "ab\u00e7 \u2603", 3, [f"salt{i}" for i in range(parts)]
    )


async def play(tasks: store.TaskStore, directory: Path, task: TaskState, count: int) -> None:
    for n in range(count):
        event = moves.plan_assign(task, f"sub{n}", "node")
        if event is None:
            return
        await tasks.commit(directory, [event])
        await tasks.commit(directory, moves.plan_verdict(task, f"sub{n}", n % 3 != 0, "r"))


async def test_round_trip_through_snapshot_and_journal(tmp_path: Path) -> None:
    tasks, task = fresh(tmp_path)
    await tasks.create(tmp_path, task)
    await play(tasks, tmp_path, task, 5)
    loaded, replayed = store.read_task(tmp_path)
    assert loaded is not None and replayed > 0
    assert loaded.to_json() == task.to_json()
    snapshot = json.loads((tmp_path / store.SNAPSHOT_NAME).read_text())
    assert snapshot["seq"] == 0 and "\n " in (tmp_path / store.SNAPSHOT_NAME).read_text()


async def test_compaction_truncates_journal(tmp_path: Path) -> None:
    tasks = store.TaskStore(min_compact_events=4)
    task = state.new_task("x", 1, ["a", "b", "c"])
    await tasks.create(tmp_path, task)
    await play(tasks, tmp_path, task, 2)  # 6 events: one compaction at 4
    snapshot = json.loads((tmp_path / store.SNAPSHOT_NAME).read_text())
    assert snapshot["seq"] >= 4
    lines = (tmp_path / store.JOURNAL_NAME).read_text().splitlines()
    assert all(json.loads(line)["seq"] > snapshot["seq"] for line in lines)
    loaded, _ = store.read_task(tmp_path)
    assert loaded is not None and loaded.to_json() == task.to_json()


async def test_journal_events_already_in_snapshot_are_skipped(tmp_path: Path) -> None:
    """A crash between the snapshot rename and the journal truncation."""
    tasks, task = fresh(tmp_path)
    await tasks.create(tmp_path, task)
    await play(tasks, tmp_path, task, 2)
    journal = (tmp_path / store.JOURNAL_NAME).read_bytes()
    await tasks.compact(tmp_path)
    (tmp_path / store.JOURNAL_NAME).write_bytes(journal)
    loaded, replayed = store.read_task(tmp_path)
    assert replayed == 0 and loaded is not None and loaded.to_json() == task.to_json()


async def test_torn_journal_line_loads_previous_state(tmp_path: Path) -> None:
    tasks, task = fresh(tmp_path)
    await tasks.create(tmp_path, task)
    await play(tasks, tmp_path, task, 1)
    before = task.to_json()
    journal = tmp_path / store.JOURNAL_NAME
    good_size = journal.stat().st_size
    event = moves.plan_assign(task, "torn", "node")
    assert event is not None
    await tasks.commit(tmp_path, [event])
    data = journal.read_bytes()
    journal.write_bytes(data[: good_size + (len(data) - good_size) // 2])  # cut mid-line
    loaded, _ = store.read_task(tmp_path)
    assert loaded is not None and loaded.to_json() == before
    assert journal.stat().st_size == good_size  # the torn tail is cut off
    # and appending after the cut works
    tasks.forget(tmp_path)
    reloaded = await tasks.load(tmp_path)
    assert reloaded is not None
    again = moves.plan_assign(reloaded, "next", "node")
    assert again is not None
    await tasks.commit(tmp_path, [again])
    final, _ = store.read_task(tmp_path)
    assert final is not None and "next" in final.subtasks


async def test_missing_snapshot_means_no_task(tmp_path: Path) -> None:
    assert await store.TaskStore().load(tmp_path) is None


async def test_illegal_replay_raises(tmp_path: Path) -> None:
    tasks, task = fresh(tmp_path)
    await tasks.create(tmp_path, task)
    (tmp_path / store.JOURNAL_NAME).write_text(
        json.dumps({"type": "verified", "subtask_id": "zz", "seq": 1}) + "\n"
    )
    try:
        store.read_task(tmp_path)
    except IllegalMove as exc:
        assert "unknown subtask" in str(exc)
    else:
        raise AssertionError("replaying an illegal event must fail loudly")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=50), parts=st.integers(1, 6), steps=st.integers(0, 8))
async def test_state_equals_load_of_save(tmp_path: Path, text: str, parts: int, steps: int) -> None:
    directory = tmp_path / f"t{parts}-{steps}-{abs(hash(text))}"
    directory.mkdir(exist_ok=True)
    for name in (store.SNAPSHOT_NAME, store.JOURNAL_NAME):
        (directory / name).unlink(missing_ok=True)
    tasks = store.TaskStore(min_compact_events=3)
    task = state.new_task(text, 2, [f"s{i}" for i in range(parts)])
    await tasks.create(directory, task)
    await play(tasks, directory, task, steps)
    loaded, _ = store.read_task(directory)
    assert loaded is not None and loaded.to_json() == task.to_json()
    assert TaskState.from_json(json.loads(store.snapshot_bytes(task))).to_json() == task.to_json()


async def test_a_reader_leaves_a_torn_tail_alone(tmp_path: Path) -> None:
    tasks, task = fresh(tmp_path)
    await tasks.create(tmp_path, task)
    await play(tasks, tmp_path, task, 1)
    before = task.to_json()
    event = moves.plan_assign(task, "torn", "node")
    assert event is not None
    await tasks.commit(tmp_path, [event])
    journal = tmp_path / store.JOURNAL_NAME
    torn = journal.read_bytes()[:-5]
    journal.write_bytes(torn)
    loaded, _ = store.read_task(tmp_path, cut_torn_tail=False)
    assert loaded is not None and loaded.to_json() == before
    assert journal.read_bytes() == torn


async def test_calls_for_tasks_that_do_not_exist_leave_no_entry(tmp_path: Path) -> None:
    """A node (or an attacker) naming many unknown tasks must not grow the store."""
    tasks = store.TaskStore()
    for n in range(50):
        async with tasks.locked(tmp_path / f"nope{n}"):
            assert await tasks.load(tmp_path / f"nope{n}") is None
    assert tasks.tracked() == 0
    task = state.new_task("x", 1, ["a"])
    (tmp_path / "real").mkdir()
    async with tasks.locked(tmp_path / "real"):
        await tasks.create(tmp_path / "real", task)
    assert tasks.tracked() == 1


async def test_an_unknown_task_entry_is_kept_while_another_call_waits(tmp_path: Path) -> None:
    """Dropping the entry of an unknown task must not hand out a second lock while a
    call still waits for the first one: calls on one dir never overlap."""
    tasks = store.TaskStore()
    directory = tmp_path / "t"
    inside, most = 0, 0

    async def call(hold: float) -> None:
        nonlocal inside, most
        async with tasks.locked(directory):
            inside += 1
            most = max(most, inside)
            assert await tasks.load(directory) is None
            await asyncio.sleep(hold)
            inside -= 1

    async def late() -> None:
        await asyncio.sleep(0.015)  # enters just as the first call leaves
        await asyncio.gather(*(call(0.01) for _ in range(3)))

    await asyncio.gather(call(0.02), call(0.01), late())
    assert most == 1
    assert tasks.tracked() == 0
