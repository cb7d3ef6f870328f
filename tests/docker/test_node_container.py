"""The image run exactly as the Golem node's Docker CPU environment runs it.

`docker run -i --network bridge -p 127.0.0.1:PORT:PORT -v WORK:/golem/work
--user UID --cpuset-cpus ONE --memory 1g --cap-drop ALL IMAGE requestor|provider
PORT`: the command after the ENTRYPOINT, no `--workdir`, the uid alone (gid 0
inside), mutual TLS. One provider directory serves three subtasks of the
task in a row, as the node keeps one per task.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from golem_task_api.node.certs import write_tls_files
from golem_task_api.node.client import ProviderAppClient, RequestorAppClient
from golem_task_api.node.ports import free_port
from golem_task_api.node.services import DockerTaskApiService
from golem_task_api.node.services.docker import node_limits
from golem_task_api.wire.dirutils import RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from tutorial_app.version import IMAGE_NAME, IMAGE_TAG

from tests.docker.support import APP_UID, give_to_app_user

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]

TASK_ID = "node-task"
SUBTASKS = 3
HEALTH_TIMEOUT = 30.0


def node_service(work_dir: Path) -> DockerTaskApiService:
    write_tls_files(work_dir)
    give_to_app_user(work_dir)
    return DockerTaskApiService(
        work_dir,
        IMAGE_NAME,
        IMAGE_TAG,
        user=str(APP_UID),
        network="bridge",
        extra_args=node_limits(),
        name_prefix="tutorial-app-node-test",
    )


def test_the_run_command_is_the_nodes(tmp_path: Path) -> None:
    service = DockerTaskApiService(
        tmp_path, IMAGE_NAME, IMAGE_TAG, user="1000", extra_args=node_limits(core=1)
    )
    args = service.run_args(["provider", "4100"], "name", 4100)
    assert "-i" in args and "--network=bridge" in args and "--workdir" not in args
    assert args[args.index("-p") + 1] == "127.0.0.1:4100:4100"
    assert args[args.index("--user") + 1] == "1000"
    assert args[args.index("--cpuset-cpus") + 1] == "1"
    assert args[args.index("--memory") + 1] == "1g"
    assert args[args.index("--cap-drop") + 1] == "ALL"
    assert args[-3:] == [f"{IMAGE_NAME}:{IMAGE_TAG}", "provider", "4100"]


async def test_a_task_on_node_containers_reusing_one_provider_dir(
    tmp_path: Path, docker_image: str
) -> None:
    requestor_dir = tmp_path / "requestor"
    requestor_dir.mkdir()
    provider_dir = tmp_path / "provider" / "docker_cpu" / TASK_ID
    provider_dir.mkdir(parents=True)
    requestor = await RequestorAppClient.create(
        node_service(requestor_dir), free_port(), health_timeout=HEALTH_TIMEOUT
    )
    try:
        task_dir = RequestorTaskDir(requestor_dir / TASK_ID)
        task_dir.prepare()
        (task_dir.task_inputs_dir / "input.txt").write_text("node container\n", encoding="utf-8")
        give_to_app_user(task_dir)
        params = {"difficulty": 8, "resources": ["input.txt"], "subtasks_count": SUBTASKS}
        task = await requestor.create_task(TASK_ID, SUBTASKS, params)
        assert task.env_id == "docker_cpu"
        for number in range(SUBTASKS):
            sid = f"sub-{number}"
            subtask = await requestor.next_subtask(TASK_ID, sid, "ab" * 32)
            assert subtask is not None
            inputs = provider_dir / "subtask_inputs"
            inputs.mkdir(exist_ok=True)
            for name in subtask.resources:
                shutil.copy(task_dir.subtask_inputs_dir / name, inputs / name)
            provider = await ProviderAppClient.create(
                node_service(provider_dir), free_port(), health_timeout=HEALTH_TIMEOUT
            )
            try:
                output = await provider.compute(TASK_ID, sid, subtask.params)
                await provider.service.wait_until_shutdown_complete(HEALTH_TIMEOUT)
            finally:
                await provider.shutdown()
            outputs = task_dir.subtask_outputs_dir(sid)
            outputs.mkdir(parents=True)
            shutil.copy(provider_dir / output, outputs / output.name)
            give_to_app_user(outputs)
            result, reason = await requestor.verify(TASK_ID, sid)
            assert result is VerifyResult.SUCCESS, reason
        # The directory now holds all three subtasks' inputs, as on the node.
        assert len(list((provider_dir / "subtask_inputs").iterdir())) == SUBTASKS
        assert len(list(task_dir.task_outputs_dir.iterdir())) == SUBTASKS
        assert not await requestor.has_pending_subtasks(TASK_ID)
    finally:
        await requestor.shutdown()
