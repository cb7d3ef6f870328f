"""The app as real processes over real gRPC, driven by the runtime's node stand-in."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from golem_task_api.node.services import ProcessTaskApiService, TaskApiService
from golem_task_api.testutils import TaskLifecycleUtil
from golem_task_api.wire.enums import VerifyResult
from tutorial_app.store import store

from tests.tutorial_app.support import APP_COMMAND, INPUT_TEXT

pytestmark = pytest.mark.timeout(90)

PARAMS: dict[str, Any] = {"difficulty": 10, "resources": ["input.txt"]}


def app_service(work_dir: Path) -> TaskApiService:
    return ProcessTaskApiService(work_dir, APP_COMMAND, stop_grace=3.0)


@pytest.fixture
def input_file(tmp_path: Path) -> Path:
    path = tmp_path / "resources" / "input.txt"
    path.parent.mkdir()
    path.write_text(INPUT_TEXT, encoding="utf-8")
    return path


@pytest.fixture
async def util(tmp_path: Path) -> AsyncIterator[TaskLifecycleUtil]:
    async with TaskLifecycleUtil(tmp_path / "work", app_service) as lifecycle:
        yield lifecycle


async def create(util: TaskLifecycleUtil, input_file: Path, parts: int) -> None:
    await util.start_requestor()
    await util.create_task(
        {**PARAMS, "subtasks_count": parts}, max_subtasks_count=parts, resources=[input_file]
    )


async def compute_pending(util: TaskLifecycleUtil) -> list[str]:
    """Compute and verify until nothing is pending; the subtask ids used."""
    done = []
    while await util.has_pending_subtasks():
        assigned = await util.next_subtask()
        assert assigned is not None
        verdict = await util.compute_and_verify(*assigned)
        assert verdict.result is VerifyResult.SUCCESS, verdict.reason
        done.append(verdict.subtask_id)
    return done


def outputs(util: TaskLifecycleUtil) -> list[str]:
    return sorted(path.name for path in util.task_dir().task_outputs_dir.iterdir())


async def test_full_task(util: TaskLifecycleUtil, input_file: Path) -> None:
    run = await util.run_task(
        {**PARAMS, "subtasks_count": 3}, max_subtasks_count=3, resources=[input_file]
    )
    assert run.task.env_id == "docker_cpu"
    assert [v.result for v in run.verdicts] == [VerifyResult.SUCCESS] * 3
    assert outputs(util) == sorted(f"{sid}.zip" for sid in run.subtask_ids)


async def test_discard_all_then_recompute(util: TaskLifecycleUtil, input_file: Path) -> None:
    await create(util, input_file, 2)
    first = await compute_pending(util)
    assert await util.discard_subtasks(first) == first
    assert outputs(util) == []
    second = await compute_pending(util)
    assert len(second) == 2 and not set(first) & set(second)
    assert outputs(util) == sorted(f"{sid}.zip" for sid in second)


async def test_discard_one_then_recompute_one(util: TaskLifecycleUtil, input_file: Path) -> None:
    await create(util, input_file, 3)
    first = await compute_pending(util)
    assert await util.discard_subtasks([first[1], "unknown"]) == [first[1]]
    again = await compute_pending(util)
    assert len(again) == 1
    assert outputs(util) == sorted(f"{sid}.zip" for sid in [first[0], first[2], again[0]])


async def test_abort_task(util: TaskLifecycleUtil, input_file: Path) -> None:
    await create(util, input_file, 3)
    done = await util.next_subtask()
    assert done is not None
    verdict = await util.compute_and_verify(*done)
    assert verdict.result is VerifyResult.SUCCESS
    running = await util.next_subtask()
    assert running is not None
    await util.abort_task()
    assert await util.has_pending_subtasks() is False
    assert await util.next_subtask() is None
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await util.verify(running[0])
    assert failed.value.code() is grpc.StatusCode.FAILED_PRECONDITION  # the task's state
    assert outputs(util) == [f"{done[0]}.zip"]


async def test_abort_subtask(util: TaskLifecycleUtil, input_file: Path) -> None:
    await create(util, input_file, 1)
    aborted = await util.next_subtask()
    assert aborted is not None
    assert await util.has_pending_subtasks() is False
    await util.abort_subtask(aborted[0])
    assert await util.has_pending_subtasks() is True
    assert len(await compute_pending(util)) == 1


async def test_bad_params_are_invalid_argument(util: TaskLifecycleUtil, input_file: Path) -> None:
    await util.start_requestor()
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await util.create_task(
            {"difficulty": 300, "resources": ["input.txt"]}, resources=[input_file]
        )
    assert failed.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "between 0 and 256" in str(failed.value.details())


async def test_provider_shutdown_single_and_double(util: TaskLifecycleUtil, tmp_path: Path) -> None:
    single = await util.start_provider(tmp_path / "p1")
    await single.shutdown()
    assert not single.service.running()
    double = await util.start_provider(tmp_path / "p2")
    await asyncio.gather(double.shutdown(), double.shutdown())
    assert not double.service.running()


async def test_shutdown_interrupts_compute(util: TaskLifecycleUtil, input_file: Path) -> None:
    await create(util, input_file, 1)
    assigned = await util.next_subtask()
    assert assigned is not None
    sid, subtask = assigned
    provider_dir = util.prepare_provider_dir(sid, subtask.resources)
    provider = await util.start_provider(provider_dir)
    assert util.task_id is not None
    compute = asyncio.create_task(
        provider.compute(util.task_id, sid, {**subtask.params, "difficulty": 256})
    )
    await asyncio.sleep(1.0)
    assert not compute.done()
    await provider.shutdown(timeout=5.0)
    # Difficulty 256 never ends on its own: the call ending is the interrupt working.
    with pytest.raises(grpc.aio.AioRpcError):
        await asyncio.wait_for(compute, 30)
    assert not (provider_dir / f"{sid}.zip").exists()


async def test_benchmarks_are_positive(util: TaskLifecycleUtil) -> None:
    await util.start_requestor()
    assert await util.run_requestor_benchmark() > 0
    assert await util.run_provider_benchmark() > 0


async def test_requestor_restart_continues(util: TaskLifecycleUtil, input_file: Path) -> None:
    await create(util, input_file, 4)
    first = await util.next_subtask()
    assert first is not None
    assert (await util.compute_and_verify(*first)).result is VerifyResult.SUCCESS
    running = await util.next_subtask()
    assert running is not None
    result = await util.compute_remote(running[0], running[1].params, running[1].resources)
    requestor = util.requestor
    assert requestor is not None and isinstance(requestor.service, ProcessTaskApiService)
    pid = requestor.service.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # a crash, not a shutdown
    await requestor.service.stop()
    util.requestor = None
    await util.start_requestor()
    util.copy_result(running[0], result)
    verdict, reason = await util.verify(running[0])
    assert verdict is VerifyResult.SUCCESS, reason
    rest = await compute_pending(util)
    assert len(rest) == 2
    assert outputs(util) == sorted(f"{sid}.zip" for sid in [first[0], running[0], *rest])
    loaded, _ = store.read_task(util.task_dir())
    assert loaded is not None and loaded.is_finished()
