"""TaskLifecycleUtil's fine-grained steps, as an app's tests would script them."""

from pathlib import Path

import pytest
from golem_task_api.testutils import ServiceFactory, TaskLifecycleUtil
from golem_task_api.wire.enums import VerifyResult


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


async def test_0_24_methods_with_a_service_factory_service(
    tmp_path: Path, service_factory: ServiceFactory
) -> None:
    """0.24's positional `create_task` and whole-subtask step on this package's services."""
    util = TaskLifecycleUtil(tmp_path)
    assert util.req_dir == tmp_path / "requestor" and util.prov_dir == tmp_path / "provider"
    async with util.init_requestor(service_factory) as requestor:
        task = await util.create_task("t-1", 2, [], {"parts": 2})
        assert task.env_id == "docker_cpu"
        util.init_provider(service_factory, "t-1")
        subtask_id, verdict = await util.compute_next_subtask("t-1", "n1")
        assert verdict is VerifyResult.SUCCESS
        # Delivered to subtask_outputs/<id>/, then moved on by the app's Verify.
        outputs = util.req_dir.task_dir("t-1").task_outputs_dir
        assert [p.name for p in outputs.iterdir()] == [f"result-{subtask_id}.txt"]
        assert await requestor.has_pending_subtasks("t-1")
    assert not requestor.service.running()


def test_the_node_moves_check_paths_from_the_app(tmp_path: Path) -> None:
    """The util copies with the local network's checks (`moves`), not blindly."""
    from golem_task_api.node.moves import FileMoveError

    util = TaskLifecycleUtil(tmp_path)
    util.req_dir.task_dir("t").prepare()
    util.prov_dir.task_dir("t").prepare()
    (tmp_path / "secret.txt").write_text("not the app's")
    with pytest.raises(FileMoveError, match="outside"):
        util.copy_result_from_provider(Path("../../secret.txt"), "t", "s-1")
    with pytest.raises(FileMoveError, match="plain file name"):
        util.copy_resources_from_requestor(["../secret.txt"], "t")
    with pytest.raises(FileMoveError, match="did not write it"):
        util.copy_resources_from_requestor(["missing.zip"], "t")
    with pytest.raises(FileMoveError, match="does not exist"):
        util.put_resources_to_requestor([tmp_path / "nope.txt"], "t")
    assert not any(util.req_dir.task_dir("t").subtask_outputs_root.iterdir())


def test_create_task_refuses_a_mixed_up_call(tmp_path: Path) -> None:
    import asyncio

    util = TaskLifecycleUtil(tmp_path)
    with pytest.raises(TypeError, match="by name"):
        asyncio.run(util.create_task({"a": 1}, 2))
