"""The requestor's use cases: lock, load, plan a move, do its file work, commit.

File work that a reply promises (an input zip, a result published in
`task_outputs`, a result removed) is done before the reply, just before
the journal write (under the lock), and the journal is fsync'd before the
reply, so a crash at any instant leaves a state the node can continue
from. Apart from the directory a discard removed results from, only the
journal is fsync'd per call (and one fsync serves all the calls waiting
for it): input zips and published results are rebuilt from the state by
`tutorial_app.handlers.repair` after a restart.
Every command runs in `tasks.session(task_dir)`: locked, loaded, commit,
durable on exit. Calls on one task queue for its lock, so the lock is held
only for cheap work: Verify judges a big input's result in a thread,
between two holds of the lock (a small one's in the loop, under it).
Errors say whose fault they are (`golem_task_api.wire.errors`): the
node's bad input is `InvalidArgument` before anything on disk changes; a
move the state does not allow is `IllegalMove`; an unknown task or subtask
is NOT_FOUND; damaged files are `DamagedState`.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import logging
import math
import os
import secrets
from pathlib import Path

from golem_task_api import envs
from golem_task_api.wire.dirutils import RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from golem_task_api.wire.errors import FailedPrecondition, InvalidArgument
from golem_task_api.wire.structs import Subtask, Task

from tutorial_app import version
from tutorial_app.core import moves, params, state
from tutorial_app.files import verdict, zips
from tutorial_app.store import store

logger = logging.getLogger(__name__)

#: Base memory for a provider process, plus room for a few copies of the input.
BASE_MEMORY_MIB = 64.0
#: Parts with inputs up to this size have their zips written and judged in the loop.
INLINE_WORK_BYTES = 64 * 1024
#: Bytes of input decoded per call at CreateTask (see `_decode`).
DECODE_SLICE = 1024 * 1024


async def create_task(
    tasks: store.TaskStore, task_dir: RequestorTaskDir, max_subtasks_count: int, raw: object
) -> Task:
    async with tasks.session(task_dir) as session:
        if session.task is not None:
            raise FailedPrecondition(
                f"task {task_dir.name!r} was already created; CreateTask comes once"
            )
        task_params = params.parse_task_params(raw, max_subtasks_count)
        data = await asyncio.to_thread(_read_input, task_dir, task_params.resources)
        # Decoding 16 MiB or making 10^5 parts takes tens of ms: off the loop.
        task = await asyncio.to_thread(_new_task, data, task_params)
        await session.create(task, data)
    logger.info(
        "created task %s: %d parts at difficulty %d",
        task_dir.name,
        len(task.parts),
        task_params.difficulty,
    )
    input_mib = len(data) / zips.MIB
    return envs.create_docker_cpu_task(
        version.IMAGE_NAME,
        version.IMAGE_TAG,
        min_memory_mib=BASE_MEMORY_MIB + math.ceil(3 * input_mib),
    )


async def next_subtask(
    tasks: store.TaskStore, task_dir: RequestorTaskDir, subtask_id: str, node: str
) -> Subtask | None:
    params.check_subtask_id(subtask_id)
    async with tasks.session(task_dir) as session:
        task = session.require()
        event = moves.plan_assign(task, subtask_id, node)
        if event is None:
            return None
        name = zips.subtask_zip_name(subtask_id)
        path = task_dir.subtask_inputs_dir / name
        data = task.part_input(event.part)
        if len(data) <= INLINE_WORK_BYTES:  # a create and a write: cheaper than a thread hop
            zips.write_new(path, zips.zip_bytes(zips.INPUT_MEMBER, data))
        else:
            await asyncio.to_thread(zips.write_zip, path, zips.INPUT_MEMBER, data, durable=False)
        await session.commit([event])
        difficulty = task.difficulty
    subtask_params = params.SubtaskParams(difficulty, name)
    return Subtask(params=subtask_params.to_json(), resources=[name])


async def verify(
    tasks: store.TaskStore, task_dir: RequestorTaskDir, subtask_id: str
) -> tuple[VerifyResult, str]:
    """Judge the result, then publish our zip of an accepted proof in `task_outputs` and
    commit the verdict, all under the lock; a big input is judged in a thread between
    two holds of it (the lock is held only for cheap work)."""
    params.check_subtask_id(subtask_id)
    name = zips.subtask_zip_name(subtask_id)
    result_zip = task_dir.subtask_outputs_dir(subtask_id) / name
    target = task_dir.task_outputs_dir / name
    published: list[Path] = []
    found: verdict.Verdict | None = None
    try:
        async with tasks.session(task_dir, look_only=True) as session:
            task = session.require()
            moves.plan_verdict(task, subtask_id, True, "")  # raises unless in progress
            part_input, difficulty = task.part_input(task.subtask(subtask_id).part), task.difficulty
            if len(part_input) <= INLINE_WORK_BYTES:  # in the loop: a thread hop costs more
                found = verdict.judge(result_zip, part_input, difficulty)
                await _record(session, subtask_id, found, target, published)
        if found is None:
            found = await asyncio.to_thread(verdict.judge, result_zip, part_input, difficulty)
            async with tasks.session(task_dir) as session:
                await _record(session, subtask_id, found, target, published)
    except store.JournalError:
        for path in published:  # the state rolled back to before the verdict: so do outputs
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        raise
    logger.info("subtask %s: %s (%s)", subtask_id, "accepted" if found.ok else "rejected", found)
    result = VerifyResult.SUCCESS if found.ok else VerifyResult.FAILURE
    return result, found.reason


async def _record(
    session: store.Session,
    subtask_id: str,
    found: verdict.Verdict,
    target: Path,
    published: list[Path],
) -> None:
    """Publish our zip of an accepted proof (one create and a small write: in the loop),
    then commit the verdict; `published` names what to remove if saving it fails."""
    events = moves.plan_verdict(session.require(), subtask_id, found.ok, found.reason, found.proof)
    if found.proof is not None:
        zips.write_new(target, verdict.published_bytes(found.proof))
        published.append(target)
    await session.commit(events)


async def discard_subtasks(
    tasks: store.TaskStore, task_dir: RequestorTaskDir, subtask_ids: list[str]
) -> list[str]:
    async with tasks.session(task_dir) as session:
        events = moves.plan_discard(session.require(), list(subtask_ids))
        discarded = [event.subtask_id for event in events]
        await session.commit(events)
    # Only once the discard is durable: if saving failed, the results stay with the state.
    # A crash before this leaves files that `repair` removes (not accepted results).
    outputs = [task_dir.task_outputs_dir / zips.subtask_zip_name(sid) for sid in discarded]
    await asyncio.to_thread(_remove_files, outputs)
    return discarded


async def abort_subtask(
    tasks: store.TaskStore, task_dir: RequestorTaskDir, subtask_id: str
) -> None:
    params.check_subtask_id(subtask_id)
    async with tasks.session(task_dir) as session:
        await session.commit([moves.plan_abort_subtask(session.require(), subtask_id)])


async def abort_task(tasks: store.TaskStore, task_dir: RequestorTaskDir) -> None:
    async with tasks.session(task_dir) as session:
        await session.commit([moves.plan_abort_task(session.require())])
    logger.info("aborted task %s", task_dir.name)


async def has_pending_subtasks(tasks: store.TaskStore, task_dir: RequestorTaskDir) -> bool:
    async with tasks.session(task_dir) as session:
        return session.require().has_pending()


def _new_task(raw: bytes, task_params: params.TaskParams) -> state.TaskState:
    """A fresh task on the input `raw`; InvalidArgument unless it is UTF-8 (blocking)."""
    text = _decode(raw, task_params.resources[0])
    salts = [secrets.token_hex(16) for _ in range(task_params.subtasks_count)]
    return state.new_task(text, task_params.difficulty, salts)


def _read_input(task_dir: RequestorTaskDir, resources: list[str]) -> bytes:
    """The first resource's bytes; every resource must be a regular file inside task_inputs."""
    paths = [params.resolve_inside(task_dir.task_inputs_dir, n, "resource") for n in resources]
    for name, path in zip(resources, paths, strict=True):
        if not path.is_file():
            raise InvalidArgument(f"the resource {name!r} is not a file in task_inputs")
    try:
        size = paths[0].stat().st_size
        if size > zips.MAX_INPUT_BYTES:
            raise InvalidArgument(
                f"the input {resources[0]!r} is {size} bytes; "
                f"at most {zips.MAX_INPUT_BYTES} allowed"
            )
        with paths[0].open("rb") as handle:
            data = handle.read(zips.MAX_INPUT_BYTES + 1)
    except OSError as exc:  # unreadable (permissions, I/O error): the node's input is bad
        raise InvalidArgument(f"cannot read the input {resources[0]!r}: {exc.strerror}") from exc
    if len(data) > zips.MAX_INPUT_BYTES:
        raise InvalidArgument(
            f"the input {resources[0]!r} is larger than {zips.MAX_INPUT_BYTES} bytes"
        )
    return data


def _decode(data: bytes, name: str) -> str:
    """UTF-8 in 1 MiB slices: one `decode` of 16 MiB holds the GIL, and so stalls the
    event loop, for tens of ms on a loaded machine."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        pieces = [
            decoder.decode(view[i : i + DECODE_SLICE]) for i in range(0, len(data), DECODE_SLICE)
        ]
        pieces.append(decoder.decode(b"", final=True))
        return "".join(pieces)
    except UnicodeDecodeError:
        pass
    try:  # again in one piece, for the error's position in the whole input
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArgument(
            f"the input {name!r} must be UTF-8 text: {exc.reason} at byte {exc.start}"
        ) from exc


def _remove_files(paths: list[Path]) -> None:
    removed = False
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed = True
    if removed:
        store.fsync_dir(paths[0].parent)
