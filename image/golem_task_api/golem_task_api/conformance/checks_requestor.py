"""The requestor's contract: what the node relies on when it drives a task."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

import grpc

from golem_task_api.conformance.battery import check
from golem_task_api.conformance.node import Handed, TaskDriver, call, status
from golem_task_api.conformance.report import Fail, Skip, Warn
from golem_task_api.conformance.target import Target, exited_within, kill_hard, stop
from golem_task_api.envs import DOCKER_CPU_ENV_ID, DOCKER_GPU_ENV_ID
from golem_task_api.node.client import RequestorAppClient
from golem_task_api.wire.enums import VerifyResult

#: Statuses that say "the app's own fault" rather than naming the caller's.
UNCLEAN = ("INTERNAL", "UNKNOWN")


@asynccontextmanager
async def _task(target: Target) -> AsyncIterator[TaskDriver]:
    """A requestor (plaintext) with one task created; stopped afterwards."""
    requestor = await target.requestor(target.fresh_dir("requestor"))
    try:
        driver = TaskDriver(target, requestor, use_tls=False)
        await driver.create()
        yield driver
    finally:
        await stop(requestor)


async def _hand_out_all(driver: TaskDriver) -> list[Handed]:
    """`NextSubtask` until the app has nothing more for now."""
    handed: list[Handed] = []
    for _ in range(2 * driver.target.spec.subtasks + 2):
        one = await driver.next()
        if one is None:
            return handed
        handed.append(one)
    raise Fail(
        f"NextSubtask handed out {len(handed)} subtasks for max_subtasks_count "
        f"{driver.target.spec.subtasks} and would go on"
    )


async def _alive(requestor: RequestorAppClient, after: str) -> None:
    if not requestor.service.running():
        raise Fail(f"the requestor exited after {after}")
    try:
        await requestor.has_pending_subtasks(f"alive-{uuid.uuid4().hex[:8]}")
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            raise Fail(f"the requestor stopped serving after {after} ({status(exc)})") from None


@check("requestor.create-task", "CreateTask names an environment and prerequisites a node has")
async def create_task(target: Target) -> str:
    requestor = await target.requestor(target.fresh_dir("requestor"))
    try:
        task = await TaskDriver(target, requestor, use_tls=False).create()
    finally:
        await stop(requestor)
    if task.env_id not in (DOCKER_CPU_ENV_ID, DOCKER_GPU_ENV_ID):
        raise Fail(f"CreateTask named environment {task.env_id!r}; a node has only docker_cpu/_gpu")
    prereq = task.prerequisites
    if not isinstance(prereq, dict) or not all(
        isinstance(prereq.get(key), str) and prereq.get(key) for key in ("image", "tag")
    ):
        raise Fail(f"CreateTask's prerequisites {prereq!r} lack the image and tag providers pull")
    return f"env {task.env_id}, image {prereq['image']}:{prereq['tag']}"


async def _judged(driver: TaskDriver, handed: Handed, what: str) -> str:
    """Verify a spoiled result: anything but SUCCESS, the server still up."""
    try:
        result, _ = await driver.requestor.verify(driver.task_id, handed.subtask_id)
    except grpc.aio.AioRpcError as exc:
        await _alive(driver.requestor, f"Verify of a {what} result")
        if exc.code().name in UNCLEAN:
            return f"{what}: {status(exc)} (unclean)"
        return f"{what}: {exc.code().name}"
    if result is VerifyResult.SUCCESS:
        raise Fail(f"Verify accepted a {what} result as SUCCESS")
    return f"{what}: {result.name}"


@check("requestor.bad-results", "damaged, empty and foreign results refused; the task goes on")
async def bad_results(target: Target) -> str:
    async with _task(target) as driver:
        good = await driver.next()
        if good is None:
            raise Fail("NextSubtask gave nothing right after CreateTask")
        good_bytes = (await driver.compute(good)).read_bytes()
        answers: list[str] = []
        for what in ("damaged", "empty", "foreign"):
            spoiled = await driver.next()
            if spoiled is None:
                raise Fail(f"NextSubtask gave nothing after a refused result ({answers})")
            path = await driver.compute(spoiled)
            data = path.read_bytes()
            if what == "damaged":
                data = bytes(b ^ 0x5A for b in data[: max(1, len(data) // 2)])
            path.write_bytes(b"" if what == "empty" else good_bytes if what == "foreign" else data)
            answers.append(await _judged(driver, spoiled, what))
        result, reason = await driver.verify(good.subtask_id)
        if result is not VerifyResult.SUCCESS:
            raise Fail(f"after refused results, a good one was {result.name} ({reason!r})")
        verified = await driver.finish()
    unclean = [answer for answer in answers if answer.endswith("(unclean)")]
    if unclean:
        raise Warn(f"refused, but with an error status that blames the app: {'; '.join(unclean)}")
    return f"{'; '.join(answers)}; then the task finished ({verified + 1} verified)"


@check("requestor.discard", "DiscardSubtasks drops what it names and the work is pending again")
async def discard(target: Target) -> str:
    async with _task(target) as driver:
        await driver.finish()
        done = [sid for sid, result in driver.verdicts.items() if result is VerifyResult.SUCCESS]
        dropped = await call(
            "DiscardSubtasks", driver.requestor.discard_subtasks(driver.task_id, done[:1])
        )
        if not set(dropped) <= set(done[:1]):
            raise Fail(
                f"DiscardSubtasks({done[:1]}) returned ids it was not asked to drop: {dropped}"
            )
        if not dropped:
            raise Warn(f"DiscardSubtasks({done[:1]}) of a verified subtask dropped nothing")
        if not await driver.has_pending():
            raise Fail(
                "after DiscardSubtasks of a verified subtask nothing is pending: its work is lost"
            )
        again = await driver.finish()
    return f"dropped {dropped}, its work pending again and redone ({again} verified)"


@check("requestor.abort-subtask", "AbortSubtask puts the subtask's work back")
async def abort_subtask(target: Target) -> str:
    async with _task(target) as driver:
        handed = await _hand_out_all(driver)
        if not handed:
            raise Fail("NextSubtask gave nothing right after CreateTask")
        await call(
            "AbortSubtask", driver.requestor.abort_subtask(driver.task_id, handed[0].subtask_id)
        )
        if not await driver.has_pending():
            raise Fail("after AbortSubtask nothing is pending: the aborted subtask's work is lost")
        again = await driver.next()
        if again is None:
            raise Fail("after AbortSubtask, NextSubtask gave nothing: the work is lost")
        verified = await driver.finish()
    return f"aborted 1 of {len(handed)} handed out; its work handed out again; {verified} verified"


@check(
    "requestor.pending-settles", "HasPendingSubtasks true at start, false when all is out or done"
)
async def pending_settles(target: Target) -> str:
    async with _task(target) as driver:
        if not await driver.has_pending():
            raise Fail(
                "HasPendingSubtasks false right after CreateTask: the node hands out nothing"
            )
        handed = await _hand_out_all(driver)
        if await driver.has_pending():
            raise Fail(
                f"HasPendingSubtasks true with all {len(handed)} subtasks out, but NextSubtask "
                "gives nothing (true promises the node a subtask)"
            )
        for one in handed:
            await driver.compute(one)
            await driver.verify(one.subtask_id)
        await driver.finish()
        if await driver.has_pending():
            raise Fail("HasPendingSubtasks true after every subtask was verified: never done")
    return f"true, then false with {len(handed)} out, false when all verified"


@check("requestor.abort-task", "AbortTask succeeds and the requestor serves on")
async def abort_task(target: Target) -> str:
    async with _task(target) as driver:
        await driver.next()
        await call("AbortTask", driver.requestor.abort_task(driver.task_id))
        await _alive(driver.requestor, "AbortTask")
        try:
            pending = await driver.requestor.has_pending_subtasks(driver.task_id)
        except grpc.aio.AioRpcError as exc:
            return f"aborted; HasPendingSubtasks then {exc.code().name}"
    if pending:
        raise Warn("after AbortTask, HasPendingSubtasks still says true for the aborted task")
    return "aborted; HasPendingSubtasks then false; still serving"


async def _fault(what: str, awaitable: Awaitable[Any]) -> tuple[str, str]:
    try:
        answer = await awaitable
    except grpc.aio.AioRpcError as exc:
        return what, exc.code().name
    if isinstance(answer, tuple) and answer[:1] == (VerifyResult.SUCCESS,):
        raise Fail(f"{what} answered SUCCESS")
    return what, f"OK {answer!r}"


@check("requestor.unknown-ids", "unknown task and subtask ids get a status that blames the caller")
async def unknown_ids(target: Target) -> str:
    async with _task(target) as driver:
        req, task, nobody = driver.requestor, driver.task_id, f"no-such-{uuid.uuid4().hex[:8]}"
        answers = [
            await _fault("HasPendingSubtasks(unknown task)", req.has_pending_subtasks(nobody)),
            await _fault("NextSubtask(unknown task)", req.next_subtask(nobody, str(uuid.uuid1()))),
            await _fault("Verify(unknown task)", req.verify(nobody, str(uuid.uuid1()))),
            await _fault("Verify(unknown subtask)", req.verify(task, str(uuid.uuid1()))),
            await _fault(
                "AbortSubtask(unknown subtask)", req.abort_subtask(task, str(uuid.uuid1()))
            ),
            await _fault("AbortTask(unknown task)", req.abort_task(nobody)),
        ]
        await _alive(req, "calls with unknown ids")
    text = "; ".join(f"{what}: {code}" for what, code in answers)
    if any(code in UNCLEAN for _, code in answers):
        raise Warn(f"{text} (INTERNAL/UNKNOWN says the app broke, not that the id is unknown)")
    return text


@check("requestor.bad-params", "the parameters given with --bad-params are refused at CreateTask")
async def bad_params(target: Target) -> str:
    if not target.spec.bad_params:
        raise Skip("no --bad-params given")
    answers: list[tuple[dict[str, Any], str, str]] = []
    async with _task(target) as driver:
        for params in target.spec.bad_params:
            bad = TaskDriver(target, driver.requestor, use_tls=False)
            try:
                await bad.requestor.create_task(bad.task_id, target.spec.subtasks, params)
            except grpc.aio.AioRpcError as exc:
                await _alive(driver.requestor, f"CreateTask with {params}")
                answers.append((params, exc.code().name, exc.details() or ""))
            else:
                raise Fail(f"CreateTask accepted the bad parameters {params}")
        if not await driver.has_pending():
            raise Fail("after refused CreateTasks, the good task has nothing pending")
    text = "; ".join(f"{p}: {code} {details!r}" for p, code, details in answers)
    if any(code in UNCLEAN for _, code, _ in answers):
        raise Warn(f"refused as the app's own failure, not the caller's: {text}")
    return text


@check("requestor.restart", "state survives SIGKILL and a restart (nothing acknowledged lost)")
async def restart(target: Target) -> str:
    work_dir = target.fresh_dir("requestor")
    first = await target.requestor(work_dir)
    driver = TaskDriver(target, first, use_tls=False)
    try:
        await driver.create()
        done = await driver.next()
        out = await driver.next() if done is not None else None
        if done is None or out is None:
            raise Fail("the task needs 2 subtasks for this check: give --subtasks 2 or more")
        await driver.compute(done)
        await driver.verify(done.subtask_id)
        await driver.compute(out)
        outputs = sorted(p.name for p in driver.task_dir.task_outputs_dir.iterdir())
        kill_hard(first.service)
        await exited_within(first.service, 10)
    finally:
        await stop(first)
    second = await target.requestor(work_dir)
    driver.requestor = second
    try:
        try:
            result, reason = await second.verify(driver.task_id, out.subtask_id)
        except grpc.aio.AioRpcError as exc:
            raise Fail(
                f"after SIGKILL and restart, Verify of subtask {out.subtask_id} (handed out "
                f"before the kill) failed: {status(exc)}; the requestor forgot its state"
            ) from None
        if result is not VerifyResult.SUCCESS:
            raise Fail(f"after restart, Verify of a good result gave {result.name} ({reason!r})")
        lost = set(outputs) - {p.name for p in driver.task_dir.task_outputs_dir.iterdir()}
        if lost:
            raise Fail(
                f"after restart, verified outputs are gone from task_outputs: {sorted(lost)}"
            )
        verified = await driver.finish()
    finally:
        await stop(second)
    return f"killed with 1 verified and 1 delivered; after restart Verify SUCCESS, {verified} more"
