"""A failed journal fsync while a Verify is in flight (issue 13, defect 4).

Verify judges a result outside the task lock. If another call's fsync fails
meanwhile, the store rolls back; it used to forget that the task's files
were repaired, so the reload repaired again and deleted the copy Verify had
staged in `task_outputs`: a valid result was rejected, or the state said
verified while the call failed and `task_outputs` lacked the result. Here
the judging thread is held at exactly that moment.
"""

from __future__ import annotations

import asyncio
import errno
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from golem_task_api.wire.dirutils import RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from tutorial_app.core.state import SubtaskStatus
from tutorial_app.files import verdict, zips
from tutorial_app.handlers import commands, repair
from tutorial_app.store import store, syncing

from tests.robustness.load_common import put_result
from tests.tutorial_app.support import fsync_running

pytestmark = pytest.mark.timeout(60)

#: Bigger than commands.INLINE_WORK_BYTES, so judging runs in a thread we can hold.
BIG_TEXT = "a verify in flight " * 5000


class HeldJudging:
    """Replaces the judging step: signal when the result is judged, then wait."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.judged = asyncio.Event()
        self.release = threading.Event()
        loop = asyncio.get_running_loop()
        original = verdict.judge

        def held(*args: object) -> object:
            found = original(*args)  # type: ignore[arg-type]
            loop.call_soon_threadsafe(self.judged.set)
            self.release.wait(30)
            return found

        monkeypatch.setattr(verdict, "judge", held)


def fail_fsync(fd: int) -> None:
    raise OSError(errno.EIO, os.strerror(errno.EIO))


@pytest.fixture
def task_dir(tmp_path: Path) -> Iterator[RequestorTaskDir]:
    directory = RequestorTaskDir(tmp_path / "task")
    directory.prepare()
    (directory.task_inputs_dir / "input.txt").write_text(BIG_TEXT, encoding="utf-8")
    yield directory


async def started(task_dir: RequestorTaskDir) -> store.TaskStore:
    """Two parts out ("a" with a valid result delivered, "b" still computing)."""
    tasks = store.TaskStore(repair=repair.repair)
    task_params = {"difficulty": 0, "resources": ["input.txt"], "subtasks_count": 2}
    await commands.create_task(tasks, task_dir, 2, task_params)
    for sid in ("a", "b"):
        assert await commands.next_subtask(tasks, task_dir, sid, "node") is not None
    inp = zips.read_text_member(
        task_dir.subtask_inputs_dir / "a.zip", zips.MAX_INPUT_BYTES + 64, "input"
    )
    put_result(task_dir, "a", inp)
    return tasks


def assert_consistent(task_dir: RequestorTaskDir) -> dict[str, SubtaskStatus]:
    """On disk: task_outputs holds exactly the accepted results, nothing staged or stray."""
    loaded, _ = store.read_task(task_dir, cut_torn_tail=False)
    assert loaded is not None
    done = {f"{sid}.zip" for sid, sub in loaded.subtasks.items() if sub.status.value == "done"}
    assert {path.name for path in task_dir.task_outputs_dir.iterdir()} == done
    return {sid: sub.status for sid, sub in loaded.subtasks.items()}


async def test_another_calls_failed_fsync_keeps_a_verify_in_flight_whole(
    task_dir: RequestorTaskDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = await started(task_dir)
    judging = HeldJudging(monkeypatch)
    verify = asyncio.create_task(commands.verify(tasks, task_dir, "a"))
    await judging.judged.wait()
    with monkeypatch.context() as broken:
        broken.setattr(syncing, "fsync", fsync_running(fail_fsync))
        with pytest.raises(OSError, match="could not save"):
            await commands.abort_subtask(tasks, task_dir, "b")
    judging.release.set()
    result, reason = await verify
    assert result is VerifyResult.SUCCESS, reason
    statuses = assert_consistent(task_dir)
    assert statuses == {"a": SubtaskStatus.DONE, "b": SubtaskStatus.IN_PROGRESS}
    tasks.forget(task_dir)  # and a restart sees the same
    assert await commands.has_pending_subtasks(tasks, task_dir) is False
    assert assert_consistent(task_dir) == statuses


async def test_a_verify_whose_own_fsync_fails_publishes_nothing(
    task_dir: RequestorTaskDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = await started(task_dir)
    judging = HeldJudging(monkeypatch)
    verify = asyncio.create_task(commands.verify(tasks, task_dir, "a"))
    await judging.judged.wait()
    with monkeypatch.context() as broken:
        broken.setattr(syncing, "fsync", fsync_running(fail_fsync))
        judging.release.set()
        with pytest.raises(OSError, match="could not save"):
            await verify
    # The call failed: the state and task_outputs both say "not accepted".
    assert assert_consistent(task_dir)["a"] is SubtaskStatus.IN_PROGRESS
    result, reason = await commands.verify(tasks, task_dir, "a")  # the node retries
    assert result is VerifyResult.SUCCESS, reason
    assert assert_consistent(task_dir)["a"] is SubtaskStatus.DONE
