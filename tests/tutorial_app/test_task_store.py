"""The store: round-trips, journal replay, compaction, torn tails, old formats."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tutorial_app.core import moves, state
from tutorial_app.core.events import DamagedState
from tutorial_app.core.state import TaskState
from tutorial_app.store import snapshot, store


def fresh(parts: int = 4, text: str = "ab\u00e7 \u2603") -> tuple[store.TaskStore, TaskState]:
    return store.TaskStore(min_compact_events=1000), state.new_task(
        text, 3, [f"salt{i}" for i in range(parts)]
    )


def dump(task: TaskState | None) -> dict[str, Any]:
    assert task is not None
    return snapshot.to_json(task, {})


async def create(tasks: store.TaskStore, directory: Path, task: TaskState) -> None:
    async with tasks.session(directory) as session:
        await session.create(task)


async def play(tasks: store.TaskStore, directory: Path, count: int, start: int = 0) -> TaskState:
    """Assign and judge `count` subtasks (one in three fails), a session per move."""
    for n in range(start, start + count):
        async with tasks.session(directory) as session:
            task = session.require()
            event = moves.plan_assign(task, f"sub{n}", "node")
            if event is None:
                break
            await session.commit([event])
        async with tasks.session(directory) as session:
            task = session.require()
            await session.commit(moves.plan_verdict(task, f"sub{n}", n % 3 != 0, "r"))
    async with tasks.session(directory) as session:
        return session.require()


async def test_round_trip_through_snapshot_and_journal(tmp_path: Path) -> None:
    tasks, task = fresh()
    await create(tasks, tmp_path, task)
    await play(tasks, tmp_path, 5)
    loaded, replayed = store.read_task(tmp_path)
    assert replayed > 0 and dump(loaded) == dump(task)
    saved = json.loads((tmp_path / store.SNAPSHOT_NAME).read_text())
    assert saved["seq"] == 0 and saved["format"] == snapshot.FORMAT_VERSION
    # The input is stored once, as the bytes it was, outside the JSON.
    assert (tmp_path / snapshot.INPUT_NAME).read_bytes() == task.input_text.encode()
    assert "input_text" not in saved


async def test_compaction_truncates_journal(tmp_path: Path) -> None:
    tasks = store.TaskStore(min_compact_events=4)
    await create(tasks, tmp_path, state.new_task("x", 1, ["a", "b", "c"]))
    task = await play(tasks, tmp_path, 2)  # 6 events: one compaction at 4
    saved = json.loads((tmp_path / store.SNAPSHOT_NAME).read_text())
    assert saved["seq"] >= 4
    lines = (tmp_path / store.JOURNAL_NAME).read_text().splitlines()
    assert all(json.loads(line)["seq"] > saved["seq"] for line in lines)
    loaded, _ = store.read_task(tmp_path)
    assert dump(loaded) == dump(task)


async def test_journal_events_already_in_snapshot_are_skipped(tmp_path: Path) -> None:
    """A crash between the snapshot rename and the journal truncation."""
    tasks = store.TaskStore()
    await create(tasks, tmp_path, state.new_task("x", 1, ["a"]))  # sub0 fails, sub1 passes
    await play(tasks, tmp_path, 1)
    journal = (tmp_path / store.JOURNAL_NAME).read_bytes()
    tasks.forget(tmp_path)
    task = await play(store.TaskStore(min_compact_events=1), tmp_path, 1, start=1)
    assert json.loads((tmp_path / store.SNAPSHOT_NAME).read_text())["seq"] == 6
    (tmp_path / store.JOURNAL_NAME).write_bytes(journal)
    loaded, replayed = store.read_task(tmp_path)
    assert replayed == 0 and dump(loaded) == dump(task)


async def test_torn_journal_line_loads_previous_state(tmp_path: Path) -> None:
    tasks, task = fresh()
    await create(tasks, tmp_path, task)
    before = dump(await play(tasks, tmp_path, 1))
    journal = tmp_path / store.JOURNAL_NAME
    good_size = journal.stat().st_size
    async with tasks.session(tmp_path) as session:
        event = moves.plan_assign(session.require(), "torn", "node")
        assert event is not None
        await session.commit([event])
    data = journal.read_bytes()
    journal.write_bytes(data[: good_size + (len(data) - good_size) // 2])  # cut mid-line
    loaded, _ = store.read_task(tmp_path)
    assert dump(loaded) == before
    assert journal.stat().st_size == good_size  # the torn tail is cut off
    tasks.forget(tmp_path)  # and appending after the cut works
    async with tasks.session(tmp_path) as session:
        again = moves.plan_assign(session.require(), "next", "node")
        assert again is not None
        await session.commit([again])
    final, _ = store.read_task(tmp_path)
    assert final is not None and "next" in final.subtasks


async def test_missing_snapshot_means_no_task(tmp_path: Path) -> None:
    async with store.TaskStore().session(tmp_path) as session:
        assert session.task is None
        with pytest.raises(store.NoSuchTask, match="call CreateTask first"):
            session.require()


async def test_illegal_replay_is_damaged_state(tmp_path: Path) -> None:
    tasks, task = fresh()
    await create(tasks, tmp_path, task)
    (tmp_path / store.JOURNAL_NAME).write_text(
        json.dumps({"type": "verified", "subtask_id": "zz", "seq": 1}) + "\n"
    )
    with pytest.raises(DamagedState, match="unknown subtask"):
        store.read_task(tmp_path)


async def test_a_bad_line_before_good_ones_is_damage_not_a_torn_tail(tmp_path: Path) -> None:
    tasks, task = fresh()
    await create(tasks, tmp_path, task)
    await play(tasks, tmp_path, 2)
    journal = tmp_path / store.JOURNAL_NAME
    before = journal.read_bytes()
    journal.write_bytes(b"[" * 100_000 + b"\n" + before)  # deeply nested, then good lines
    with pytest.raises(DamagedState, match="line 1"):
        store.read_task(tmp_path)
    assert journal.read_bytes()[100_001:] == before  # nothing cut
    journal.write_bytes(before + b'{"type": "nope", "seq": 99}\n')  # whole, but not ours
    with pytest.raises(DamagedState, match="no known type"):
        store.read_task(tmp_path)


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
    await create(tasks, directory, state.new_task(text, 2, [f"s{i}" for i in range(parts)]))
    task = await play(tasks, directory, steps)
    loaded, _ = store.read_task(directory)
    assert dump(loaded) == dump(task) and loaded is not None and loaded.input_text == text


async def test_a_reader_leaves_a_torn_tail_alone(tmp_path: Path) -> None:
    tasks, task = fresh()
    await create(tasks, tmp_path, task)
    before = dump(await play(tasks, tmp_path, 1))
    async with tasks.session(tmp_path) as session:
        event = moves.plan_assign(session.require(), "torn", "node")
        assert event is not None
        await session.commit([event])
    journal = tmp_path / store.JOURNAL_NAME
    torn = journal.read_bytes()[:-5]
    journal.write_bytes(torn)
    loaded, _ = store.read_task(tmp_path, cut_torn_tail=False)
    assert dump(loaded) == before
    assert journal.read_bytes() == torn


def _format1_dir(directory: Path) -> None:
    """A task dir exactly as the format 1 store wrote it: every attempt, text in JSON."""
    directory.mkdir()
    subtasks = {
        "a1": {"part": 0, "node": "n1", "status": "failed", "reason": "bad nonce"},
        "a2": {"part": 0, "node": "n2", "status": "aborted", "reason": None},
        "b1": {"part": 1, "node": "n1", "status": "done", "reason": "nonce 1"},
        "a3": {"part": 0, "node": "n3", "status": "in_progress", "reason": None},
    }
    parts = [
        {"salt": "s0", "status": "in_progress", "subtask_id": "a3"},
        {"salt": "s1", "status": "done", "subtask_id": "b1"},
        {"salt": "s2", "status": "pending", "subtask_id": None},
    ]
    data = {
        "format": 1,
        "seq": 7,
        "difficulty": 5,
        "aborted": False,
        "input_text": "old \u2603\u0001",
        "parts": parts,
        "subtasks": subtasks,
    }
    (directory / store.SNAPSHOT_NAME).write_text(json.dumps(data, indent=1))
    line = {"type": "assigned", "subtask_id": "c1", "part": 2, "node": "n4", "seq": 8}
    (directory / store.JOURNAL_NAME).write_text(json.dumps(line) + "\n")


async def test_format_1_task_dirs_still_load_and_are_rewritten(tmp_path: Path) -> None:
    directory = tmp_path / "old"
    _format1_dir(directory)
    read, replayed = store.read_task(directory, cut_torn_tail=False)
    assert read is not None and replayed == 1 and read.input_text == "old \u2603\u0001"
    assert read.attempts(0) == 3 and read.subtasks["a3"].node == "n3"
    assert set(read.subtasks) == {"a3", "b1", "c1"}  # each part's latest attempt
    assert json.loads((directory / store.SNAPSHOT_NAME).read_text())["format"] == 1  # reader
    tasks = store.TaskStore()
    async with tasks.session(directory) as session:
        owned = session.require()
        await session.commit(moves.plan_verdict(owned, "a3", True, "ok"))
    saved = json.loads((directory / store.SNAPSHOT_NAME).read_text())
    assert saved["format"] == 2 and (directory / snapshot.INPUT_NAME).exists()
    again, _ = store.read_task(directory)
    assert dump(again) == dump(owned) and again is not None and again.is_settled() is False


async def test_calls_for_tasks_that_do_not_exist_leave_no_entry(tmp_path: Path) -> None:
    """A node (or an attacker) naming many unknown tasks must not grow the store."""
    tasks = store.TaskStore()
    for n in range(50):
        async with tasks.session(tmp_path / f"nope{n}") as session:
            assert session.task is None
    assert tasks.tracked() == 0
    (tmp_path / "real").mkdir()
    await create(tasks, tmp_path / "real", state.new_task("x", 1, ["a"]))
    assert tasks.tracked() == 1


async def test_an_unknown_task_entry_is_kept_while_another_call_waits(tmp_path: Path) -> None:
    """Dropping the entry of an unknown task must not hand out a second lock while a
    call still waits for the first one: calls on one dir never overlap."""
    tasks = store.TaskStore()
    directory = tmp_path / "t"
    inside, most = 0, 0

    async def call(hold: float) -> None:
        nonlocal inside, most
        async with tasks.session(directory) as session:
            inside += 1
            most = max(most, inside)
            assert session.task is None
            await asyncio.sleep(hold)
            inside -= 1

    async def late() -> None:
        await asyncio.sleep(0.015)  # enters just as the first call leaves
        await asyncio.gather(*(call(0.01) for _ in range(3)))

    await asyncio.gather(call(0.02), call(0.01), late())
    assert most == 1
    assert tasks.tracked() == 0


async def test_a_task_dir_written_by_the_format_1_app_loads(tmp_path: Path) -> None:
    """tests/data/format1-task holds task.json and task.journal exactly as the app wrote
    them before format 2 (a 3-part task: five attempts on part 0 aborted, a sixth live)."""
    data = Path(__file__).parent.parent / "data" / "format1-task"
    directory = tmp_path / "t"
    directory.mkdir()
    for name in (store.SNAPSHOT_NAME, store.JOURNAL_NAME):
        (directory / name).write_bytes((data / name).read_bytes())
    read, _ = store.read_task(directory, cut_torn_tail=False)
    assert read is not None and read.input_text == "old text \u2603\x01\n"
    assert read.attempts(0) == 6 and set(read.subtasks) == {"live"}
    async with store.TaskStore().session(directory) as session:
        await session.commit([moves.plan_abort_subtask(session.require(), "live")])
    again, _ = store.read_task(directory)
    assert again is not None and again.attempts(0) == 6 and again.has_pending()
    assert json.loads((directory / store.SNAPSHOT_NAME).read_text())["format"] == 2
