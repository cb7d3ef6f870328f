"""TaskLifecycleUtil's fine-grained steps, as an app's tests would script them."""

from pathlib import Path

import pytest
from golem_task_api.enums import VerifyResult
from golem_task_api.testutils import ServiceFactory, TaskLifecycleUtil


async def test_scripted_discard_abort_and_shutdown(
    tmp_path: Path, service_factory: ServiceFactory
) -> None:
    util = TaskLifecycleUtil(tmp_path, service_factory)
    async with util:
        await util.start_requestor()
        task = await util.create_task({"parts": 2}, max_subtasks_count=2, task_id="task-ü")
        assert task.env_id == "docker_cpu" and util.task_id == "task-ü"
        assigned = await util.next_subtask(subtask_id="s-1", opaque_node_id="n1")
        assert assigned is not None
        subtask_id, subtask = assigned
        assert subtask_id == "s-1"
        assert subtask.resources == ["part-0.txt"]
        assert subtask.params["unicode"] == "żółw ✓ 🐢"

        result = await util.compute_remote(subtask_id, subtask.params, subtask.resources)
        assert result == tmp_path / "provider" / "s-1" / "result-s-1.txt"
        copied = util.copy_result(subtask_id, result)
        assert copied == util.task_dir().subtask_outputs_dir("s-1") / "result-s-1.txt"
        assert await util.verify(subtask_id) == (
            VerifyResult.SUCCESS,
            "success for part 0: PART 0 FOR N1: ŻÓŁW — ok?",
        )

        assert await util.discard_subtasks(["s-1", "keep-2"]) == ["s-1"]
        await util.abort_subtask("s-2")
        await util.abort_task()
        assert (util.task_dir() / "aborted").read_text() == "task"
        assert (util.task_dir() / "aborted-s-2").is_file()
        assert await util.has_pending_subtasks()
        requestor = util.requestor
        assert requestor is not None and requestor.service.running()
    assert util.requestor is None
    assert not requestor.service.running()


async def test_provider_left_running_is_stopped_on_exit(
    tmp_path: Path, service_factory: ServiceFactory
) -> None:
    async with TaskLifecycleUtil(tmp_path, service_factory) as util:
        provider = await util.start_provider(tmp_path / "idle-provider")
        assert provider.service.running()
    assert not provider.service.running()


async def test_using_the_util_before_starting_is_a_clear_error(
    tmp_path: Path, service_factory: ServiceFactory
) -> None:
    async with TaskLifecycleUtil(tmp_path, service_factory) as util:
        with pytest.raises(RuntimeError, match="start_requestor"):
            await util.create_task({})
