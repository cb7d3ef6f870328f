"""The requestor's use cases: lock, load, plan a move, do its file work, commit.

File work that a reply promises (an input zip, a result published in
`task_outputs`, a result removed) is done before the reply, next to the
journal write, and the journal is fsync'd before the reply, so a crash at
any instant leaves a state the node can continue from. Apart from the
directory a discard removed results from, only the journal is fsync'd per
call (and one fsync serves all the calls waiting for it): input zips and
result copies are rebuilt from the state by `tutorial_app.repair` after a
restart.
Calls on one task queue for its lock, so the lock is held only for cheap
work: Verify judges a result before it takes the lock for the move. Bad
input raises ValueError before anything on disk changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from golem_task_api import envs
from golem_task_api.dirutils import RequestorTaskDir
from golem_task_api.enums import VerifyResult
from golem_task_api.structs import Subtask, Task

from tutorial_app import moves, params, spares, state, store, verdict, version, zips
from tutorial_app.state import TaskState

logger = logging.getLogger(__name__)

#: Base memory for a provider process, plus room for a few copies of the input.
BASE_MEMORY_MIB = 64.0
#: Parts with inputs up to this size have their zips written and judged in the loop.
INLINE_WORK_BYTES = 64 * 1024
T = TypeVar("T")


async def create_task(
    tasks: store.TaskStore, task_dir: RequestorTaskDir, max_subtasks_count: int, raw: object
) -> Task:
    async with tasks.locked(task_dir):
        if await tasks.load(task_dir) is not None:
            raise ValueError(f"task {task_dir.name!r} was already created; CreateTask comes once")
        task_params = params.parse_task_params(raw, max_subtasks_count)
        text = await asyncio.to_thread(_read_input, task_dir, task_params.resources)
        salts = [secrets.token_hex(16) for _ in range(task_params.subtasks_count)]
        await tasks.create(task_dir, state.new_task(text, task_params.difficulty, salts))
    logger.info(
        "created task %s: %d parts at difficulty %d",
        task_dir.name,
        len(salts),
        task_params.difficulty,
    )
    input_mib = len(text.encode("utf-8")) / zips.MIB
    return envs.create_docker_cpu_task(
        version.IMAGE_NAME,
        version.IMAGE_TAG,
        min_memory_mib=BASE_MEMORY_MIB + math.ceil(3 * input_mib),
    )


async def next_subtask(
    tasks: store.TaskStore, task_dir: RequestorTaskDir, subtask_id: str, node: str
) -> Subtask | None:
    params.check_subtask_id(subtask_id)
    async with tasks.locked(task_dir):
        task = await _load(tasks, task_dir)
        event = moves.plan_assign(task, subtask_id, node)
        if event is None:
            return None
        name = zips.subtask_zip_name(subtask_id)
        path = task_dir.subtask_inputs_dir / name
        data = task.part_input(event["part"])
        if len(data) <= INLINE_WORK_BYTES:  # a write and a rename: cheaper than a thread hop
            spares.for_task(task_dir).write(path, zips.zip_bytes(zips.INPUT_MEMBER, data))
        else:
            await asyncio.to_thread(zips.write_zip, path, zips.INPUT_MEMBER, data, durable=False)
        await tasks.commit(task_dir, [event])
        difficulty = task.difficulty
    await spares.settle(task_dir)
    subtask_params = params.SubtaskParams(difficulty, name)
    return Subtask(params=subtask_params.to_json(), resources=[name])


async def verify(
    tasks: store.TaskStore, task_dir: RequestorTaskDir, subtask_id: str
) -> tuple[VerifyResult, str]:
    """Judge outside the lock (a staged copy of a good result), then commit under it."""
    params.check_subtask_id(subtask_id)
    async with tasks.locked(task_dir):
        task = await _load(tasks, task_dir)
        moves.plan_verdict(task, subtask_id, True, "")  # raises unless in progress
        part_input, difficulty = task.part_input(task.subtask(subtask_id).part), task.difficulty
    name = zips.subtask_zip_name(subtask_id)
    result_zip = task_dir.subtask_outputs_dir(subtask_id) / name
    target = task_dir.task_outputs_dir / name
    found, staged = await _file_work(
        len(part_input), verdict.judge_and_stage, result_zip, target, part_input, difficulty
    )
    try:
        async with tasks.locked(task_dir):
            task = await _load(tasks, task_dir)
            events = moves.plan_verdict(task, subtask_id, found.ok, found.reason)
            await tasks.commit(task_dir, events)  # if saving fails, nothing is published
            if staged is not None:
                os.replace(staged, target)  # one rename: cheap enough to do in the loop
                staged = None
            finished = task.is_settled() and task.is_finished()
    finally:
        if staged is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(staged)
    if finished:  # no more inputs to publish: leave the task dir tidy
        await asyncio.to_thread(spares.clean, task_dir)
    logger.info("subtask %s: %s (%s)", subtask_id, "accepted" if found.ok else "rejected", found)
    result = VerifyResult.SUCCESS if found.ok else VerifyResult.FAILURE
    return result, found.reason


async def _file_work(size: int, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run small file work in the loop (a thread hop costs more than a few small
    page-cache syscalls and queues for the GIL); big inputs go to a thread."""
    if size <= INLINE_WORK_BYTES:
        return work(*args, **kwargs)
    return await asyncio.to_thread(work, *args, **kwargs)


async def discard_subtasks(
    tasks: store.TaskStore, task_dir: RequestorTaskDir, subtask_ids: list[str]
) -> list[str]:
    async with tasks.locked(task_dir):
        task = await _load(tasks, task_dir)
        events = moves.plan_discard(task, list(subtask_ids))
        discarded = [str(event["subtask_id"]) for event in events]
        outputs = [task_dir.task_outputs_dir / zips.subtask_zip_name(sid) for sid in discarded]
        await asyncio.to_thread(_remove_files, outputs)
        await tasks.commit(task_dir, events)
    return discarded


async def abort_subtask(
    tasks: store.TaskStore, task_dir: RequestorTaskDir, subtask_id: str
) -> None:
    params.check_subtask_id(subtask_id)
    async with tasks.locked(task_dir):
        task = await _load(tasks, task_dir)
        await tasks.commit(task_dir, [moves.plan_abort_subtask(task, subtask_id)])


async def abort_task(tasks: store.TaskStore, task_dir: RequestorTaskDir) -> None:
    async with tasks.locked(task_dir):
        task = await _load(tasks, task_dir)
        await tasks.commit(task_dir, [moves.plan_abort_task(task)])
    logger.info("aborted task %s", task_dir.name)


async def has_pending_subtasks(tasks: store.TaskStore, task_dir: RequestorTaskDir) -> bool:
    async with tasks.locked(task_dir):
        return (await _load(tasks, task_dir)).has_pending()


async def _load(tasks: store.TaskStore, task_dir: RequestorTaskDir) -> TaskState:
    task = await tasks.load(task_dir)
    if task is None:
        raise ValueError(f"there is no task {task_dir.name!r}; call CreateTask first")
    return task


def _read_input(task_dir: RequestorTaskDir, resources: list[str]) -> str:
    """The first resource as text; every resource must be a regular file inside task_inputs."""
    paths = [params.resolve_inside(task_dir.task_inputs_dir, n, "resource") for n in resources]
    for name, path in zip(resources, paths, strict=True):
        if not path.is_file():
            raise ValueError(f"the resource {name!r} is not a file in task_inputs")
    try:
        size = paths[0].stat().st_size
        if size > zips.MAX_INPUT_BYTES:
            raise ValueError(
                f"the input {resources[0]!r} is {size} bytes; "
                f"at most {zips.MAX_INPUT_BYTES} allowed"
            )
        with paths[0].open("rb") as handle:
            data = handle.read(zips.MAX_INPUT_BYTES + 1)
    except OSError as exc:  # unreadable (permissions, I/O error): the node's input is bad
        raise ValueError(f"cannot read the input {resources[0]!r}: {exc.strerror}") from exc
    if len(data) > zips.MAX_INPUT_BYTES:
        raise ValueError(f"the input {resources[0]!r} is larger than {zips.MAX_INPUT_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"the input {resources[0]!r} must be UTF-8 text: {exc.reason} at byte {exc.start}"
        ) from exc


def _remove_files(paths: list[Path]) -> None:
    removed = False
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed = True
    if removed:
        store.fsync_dir(paths[0].parent)
