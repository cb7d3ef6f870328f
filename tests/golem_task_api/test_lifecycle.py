"""A whole task against the fake app in real processes, via TaskLifecycleUtil."""

from collections.abc import Callable
from pathlib import Path

from golem_task_api.node.services import TaskApiService
from golem_task_api.testutils import TaskLifecycleUtil
from golem_task_api.wire.enums import VerifyResult


async def test_full_lifecycle_all_verdicts(
    tmp_path: Path, service_factory: Callable[[Path], TaskApiService]
) -> None:
    resource = tmp_path / "input.bin"
    resource.write_bytes(b"\x00\x01")
    verdicts = ["SUCCESS", "FAILURE", "AWAITING_DATA", "INCONCLUSIVE"]
    async with TaskLifecycleUtil(tmp_path / "work", service_factory) as util:
        run = await util.run_task(
            {"parts": 2, "verdicts": verdicts, "memory": 512.5},
            max_subtasks_count=2,
            resources=[resource],
            opaque_node_id="node-ż",
        )
        task_dir = util.task_dir()
        assert run.task.env_id == "docker_cpu"
        assert run.task.prerequisites == {"image": "fake/app", "tag": "1.0 ✓"}
        assert run.task.inf_requirements.min_memory_mib == 512.5
        # Part 0 succeeds at once; part 1 goes through the other verdicts first.
        expected = [VerifyResult[name] for name in verdicts] + [VerifyResult.SUCCESS]
        assert [v.result for v in run.verdicts] == expected
        assert run.verdicts[1].reason.startswith("failure for part 1: PART 1 FOR NODE-Ż: ŻÓŁW")
        assert run.verdicts[1].reason.endswith("— ok?")
        assert len(set(run.subtask_ids)) == 5
        assert sorted(p.name for p in task_dir.task_outputs_dir.iterdir()) == sorted(
            f"result-{v.subtask_id}.txt" for v in run.verdicts if v.result is VerifyResult.SUCCESS
        )
        assert (task_dir.task_inputs_dir / "input.bin").read_bytes() == b"\x00\x01"
        assert await util.next_subtask() is None
        assert await util.run_requestor_benchmark() == 123.5
        assert await util.run_provider_benchmark() == 42.25
    log = (tmp_path / "work" / "requestor" / "lifecycle.log").read_text().split()
    assert log == ["before_startup", "after_startup", "before_shutdown", "after_shutdown"]
