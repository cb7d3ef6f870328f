"""Whole task lifecycles of the 0.24-style app, driven as 0.24's own tests drive apps.

Every test runs twice: with `InlineTaskApiService` (the app's handler
objects in a child process) and with the app's own `__main__` (the 0.24.1
entry point) started by an 0.24-style service of the test's.
"""

import asyncio
from pathlib import Path

import pytest
from golem_task_api import enums
from golem_task_api.apputils.task import SubtaskStatus
from golem_task_api.testutils import TaskLifecycleUtil

from tests.compat.compat_app import TaskManager
from tests.compat.support import (
    NUMBERS,
    app_params,
    inline_service,
    output_sums,
    process_service,
    write_input,
)

pytestmark = pytest.mark.slow


@pytest.fixture(params=[inline_service, process_service], ids=["inline", "process"])
def get_service(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return request.param


@pytest.fixture
def task_lifecycle_util(tmp_path: Path) -> TaskLifecycleUtil:
    return TaskLifecycleUtil(tmp_path / "work")


async def test_simulate_task(task_lifecycle_util, get_service, tmp_path: Path) -> None:
    resources = [write_input(tmp_path)]
    task_dir = await task_lifecycle_util.simulate_task(get_service, 3, app_params(), resources)
    assert sorted(p.name for p in task_dir.task_outputs_dir.iterdir()) == [
        "part-0.zip",
        "part-1.zip",
        "part-2.zip",
    ]
    assert output_sums(task_dir.task_outputs_dir) == sum(NUMBERS)
    # The requestor's lifecycle hooks ran, the handler awaited `shutdown_future`.
    log = (task_lifecycle_util.req_dir / "lifecycle.log").read_text().split()
    assert log == ["started", "shutdown"]


async def test_discard(task_lifecycle_util, get_service, tmp_path: Path) -> None:
    util = task_lifecycle_util
    async with util.init_requestor(get_service) as requestor_client:
        task_id, node_id = "0xf00f", "0xd00d"
        task = await util.create_task(task_id, 4, [write_input(tmp_path)], app_params())
        assert task.env_id == "docker_cpu"
        assert task.prerequisites == {"image": "example/compat-sum", "tag": "0.1.0"}
        assert task.inf_requirements.min_memory_mib == 64.0
        util.init_provider(get_service, task_id)
        subtask_ids = await util.compute_remaining_subtasks(task_id, node_id)
        outputs = util.req_dir.task_dir(task_id).task_outputs_dir
        assert len(subtask_ids) == 4 and output_sums(outputs) == sum(NUMBERS)

        assert await requestor_client.discard_subtasks(task_id, subtask_ids) == subtask_ids
        assert await requestor_client.has_pending_subtasks(task_id)
        subtask_ids = await util.compute_remaining_subtasks(task_id, node_id)
        assert len(subtask_ids) == 4

        assert await requestor_client.discard_subtasks(task_id, subtask_ids[:1]) == subtask_ids[:1]
        again = await util.compute_remaining_subtasks(task_id, node_id)
        assert len(again) == 1 and again[0] not in subtask_ids
        assert output_sums(outputs) == sum(NUMBERS)


async def test_abort_subtask_and_task(task_lifecycle_util, get_service, tmp_path: Path) -> None:
    util = task_lifecycle_util
    async with util.init_requestor(get_service) as requestor_client:
        task_id = "task-abort"
        await util.create_task(task_id, 2, [write_input(tmp_path)], app_params())
        first = await requestor_client.next_subtask(task_id, "sub-a", "node")
        second = await requestor_client.next_subtask(task_id, "sub-b", "node")
        assert first is not None and second is not None
        assert first.resources == ["sub-a.zip"] and first.params["part_num"] == 0
        assert not await requestor_client.has_pending_subtasks(task_id)

        await requestor_client.abort_subtask(task_id, "sub-a")
        assert await requestor_client.has_pending_subtasks(task_id)
        await requestor_client.abort_task(task_id)
        # The requestor wrote its state through apputils.task; read it the same way.
        statuses = TaskManager(util.req_dir.task_dir(task_id)).get_subtasks_statuses([0, 1])
        assert statuses == {
            0: (SubtaskStatus.ABORTED, "sub-a"),
            1: (SubtaskStatus.ABORTED, "sub-b"),
        }


async def test_failed_verification(task_lifecycle_util, get_service, tmp_path: Path) -> None:
    """A wrong result is FAILURE and its part is handed out again."""
    util = task_lifecycle_util
    async with util.init_requestor(get_service) as requestor_client:
        task_id = "task-bad"
        await util.create_task(task_id, 1, [write_input(tmp_path)], app_params())
        assert await requestor_client.next_subtask(task_id, "sub-bad", "node") is not None
        import zipfile

        outputs = util.req_dir.task_dir(task_id).subtask_outputs_dir("sub-bad")
        outputs.mkdir(parents=True)
        with zipfile.ZipFile(outputs / "sub-bad.zip", "w") as archive:
            archive.writestr("sub-bad", "12")
        verdict, reason = await requestor_client.verify(task_id, "sub-bad")
        assert verdict is enums.VerifyResult.FAILURE and "expected" in reason
        assert await requestor_client.has_pending_subtasks(task_id)


async def test_benchmarks(task_lifecycle_util, get_service) -> None:
    util = task_lifecycle_util
    async with util.init_requestor(get_service):
        assert await util.requestor_client.run_benchmark() > 0
    util.init_provider(get_service, "0xf00f")
    await util.start_provider()
    assert await util.provider_client.run_benchmark() > 0


async def test_provider_single_and_double_shutdown(task_lifecycle_util, get_service) -> None:
    util = task_lifecycle_util
    util.init_provider(get_service, "task123")
    await util.start_provider()
    await util.shutdown_provider()
    await util.shutdown_provider()
    assert not util.provider_client.service.running()


async def test_provider_shutdown_in_compute(task_lifecycle_util, get_service, tmp_path) -> None:
    """`Shutdown` during a long Compute: the compute fails, the provider exits."""
    util = task_lifecycle_util
    async with util.init_requestor(get_service):
        task_id = "task-slow"
        await util.create_task(task_id, 1, [write_input(tmp_path)], app_params(slow=True))
        util.init_provider(get_service, task_id)
        computing = asyncio.ensure_future(util.compute_next_subtask(task_id, "node"))
        while not any(tmp_path.rglob("*.computing")):  # the Compute is under way
            assert not computing.done(), computing
            await asyncio.sleep(0.05)
        await util.shutdown_provider()
        with pytest.raises(Exception, match=r"shut|interrupt|CANCELLED|INTERNAL"):
            await computing
        assert not util.provider_client.service.running()


async def test_with_handler_helpers(task_lifecycle_util, tmp_path: Path) -> None:
    """`init_requestor_with_handler` / `init_provider_with_handler` (inline only)."""
    from tests.compat.compat_app import ProviderHandler, RequestorHandler

    util = task_lifecycle_util
    async with util.init_requestor_with_handler(RequestorHandler()):
        task_id = "task-handlers"
        await util.create_task(task_id, 2, [write_input(tmp_path)], app_params())
        util.init_provider_with_handler(ProviderHandler(), task_id)
        assert len(await util.compute_remaining_subtasks(task_id, "node")) == 2
        outputs = util.req_dir.task_dir(task_id).task_outputs_dir
        assert output_sums(outputs) == sum(NUMBERS)
