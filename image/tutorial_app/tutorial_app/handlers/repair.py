"""Putting a task's files back in line with its state after a restart.

Input zips and the copies of accepted results in `task_outputs` are not
fsync'd (only the journal is, before each reply), so a crash may leave one
lost, emptied, cut short or stray, and a staged file behind. They can all
be rebuilt from the state (an accepted result from the proof journaled with
its verdict), so the first load of a task in a process runs `repair`
instead of paying an fsync per file on every call.
"""

from __future__ import annotations

import functools
import logging
import shutil
from pathlib import Path

from golem_task_api.wire.dirutils import RequestorTaskDir

from tutorial_app.core import moves, state
from tutorial_app.core.events import Event
from tutorial_app.core.state import TaskState
from tutorial_app.files import verdict, zips

logger = logging.getLogger(__name__)

#: Empty files earlier versions made ahead of time; removed where found.
OLD_SPARE_DIR = ".spare"


def repair(task_dir: Path, task: TaskState) -> list[Event]:
    """After a restart: rewrite damaged input zips, make `task_outputs` match the
    accepted subtasks, and resume cut-short verifications.

    Runs once per task when its state is first loaded (blocking; in a thread).
    """
    directory = RequestorTaskDir(task_dir)
    shutil.rmtree(directory / OLD_SPARE_DIR, ignore_errors=True)
    _repair_inputs(directory, task)
    _repair_outputs(directory, task)
    return moves.recover_interrupted(task)


def _repair_inputs(task_dir: RequestorTaskDir, task: TaskState) -> None:
    inputs = task_dir.subtask_inputs_dir
    for sid, sub in task.subtasks.items():
        if sub.status not in (state.SubtaskStatus.IN_PROGRESS, state.SubtaskStatus.VERIFYING):
            continue
        path = inputs / zips.subtask_zip_name(sid)
        expected = task.part_input(sub.part)
        try:
            intact = zips.read_text_member(path, zips.MAX_PART_INPUT_BYTES, "input") == expected
        except ValueError:
            intact = False
        if not intact:
            logger.warning("rewriting the damaged input zip of subtask %s", sid)
            zips.write_zip(path, zips.INPUT_MEMBER, expected)


def _repair_outputs(task_dir: RequestorTaskDir, task: TaskState) -> None:
    """Our zips of accepted results only: a crash may have lost one or left a stray."""
    outputs = task_dir.task_outputs_dir
    wanted = {
        zips.subtask_zip_name(sid): sid
        for sid, sub in task.subtasks.items()
        if sub.status is state.SubtaskStatus.DONE
    }
    for path in outputs.iterdir():
        if path.name not in wanted:
            logger.warning("removing %s: not an accepted result", path.name)
            path.unlink()
    for name, sid in wanted.items():
        sub = task.subtasks[sid]
        source = task_dir.subtask_outputs_dir(sid) / name
        part_input = functools.partial(task.part_input, sub.part)
        verdict.restore_published(outputs / name, sub.proof, source, part_input, task.difficulty)
