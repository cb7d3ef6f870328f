"""The committed generated code matches the protos; the protos carry the contract."""

import filecmp
from pathlib import Path

from golem_task_api import envs
from golem_task_api.proto import constants_pb2, envs_pb2, generate
from golem_task_api.proto import golem_task_api_pb2 as pb
from golem_task_api.wire import constants


def test_generated_code_matches_protos(tmp_path: Path) -> None:
    fresh = generate.generate(tmp_path)
    names = generate.generated_names()
    match, mismatch, errors = filecmp.cmpfiles(fresh, generate.PROTO_DIR, names, shallow=False)
    assert (mismatch, errors) == ([], []), (
        "generated code is stale: run `python -m golem_task_api.proto.generate`"
    )
    assert sorted(match) == sorted(names)


def test_field_numbers_are_the_contracts() -> None:
    def numbers(message: object) -> dict[str, int]:
        return {f.name: f.number for f in message.DESCRIPTOR.fields}  # type: ignore[attr-defined]

    assert numbers(pb.CreateTaskRequest) == {
        "task_id": 1,
        "max_subtasks_count": 2,
        "task_params_json": 3,
    }
    assert numbers(pb.CreateTaskReply) == {
        "env_id": 1,
        "prerequisites_json": 2,
        "inf_requirements": 3,
    }
    assert numbers(pb.NextSubtaskReply) == {"subtask": 1}
    assert [o.name for o in pb.NextSubtaskReply.DESCRIPTOR.oneofs] == ["subtask_oneof"]
    assert numbers(pb.VerifyReply) == {"result": 1, "reason": 2}
    assert dict(pb.VerifyReply.VerifyResult.items()) == {
        "SUCCESS": 0,
        "FAILURE": 1,
        "AWAITING_DATA": 2,
        "INCONCLUSIVE": 3,
    }
    assert numbers(pb.DiscardSubtasksReply) == {"discarded_subtask_ids": 1}
    services = pb.DESCRIPTOR.services_by_name
    assert services["RequestorApp"].full_name == "golem_task_api.RequestorApp"
    assert [m.name for m in services["ProviderApp"].methods] == [
        "Compute",
        "RunBenchmark",
        "Shutdown",
    ]


def test_file_options_carry_constants_and_envs() -> None:
    options = constants_pb2.DESCRIPTOR.GetOptions()
    assert options.Extensions[constants_pb2.TASK_INPUTS_DIR] == constants.TASK_INPUTS_DIR
    assert options.Extensions[constants_pb2.SUBTASK_INPUTS_DIR] == constants.SUBTASK_INPUTS_DIR
    assert options.Extensions[constants_pb2.TASK_OUTPUTS_DIR] == constants.TASK_OUTPUTS_DIR
    assert options.Extensions[constants_pb2.SUBTASK_OUTPUTS_DIR] == constants.SUBTASK_OUTPUTS_DIR
    assert options.Extensions[constants_pb2.WORK_DIR] == constants.WORK_DIR
    assert constants_pb2.WORK_DIR.number == 51100
    env_options = envs_pb2.DESCRIPTOR.GetOptions()
    assert env_options.Extensions[envs_pb2.DOCKER_CPU] == envs.DOCKER_CPU_ENV_ID
    assert env_options.Extensions[envs_pb2.DOCKER_GPU] == envs.DOCKER_GPU_ENV_ID
    assert (envs_pb2.DOCKER_CPU.number, envs_pb2.DOCKER_GPU.number) == (52000, 52001)
    prereq = envs_pb2.DockerPrerequisites(image="i", tag="t")
    assert [f.number for f in prereq.DESCRIPTOR.fields] == [1, 2]
