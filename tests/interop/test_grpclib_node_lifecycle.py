"""A grpclib client, as the Golem node runs it, drives our apps through whole tasks.

Real processes of the tutorial app; plaintext and mutual TLS with no ALPN
offered. One provider directory serves every subtask of the task, as on
the node, and the node's channel stays open until each provider has exited.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
from golem_task_api.node.certs import write_tls_files
from golem_task_api.node.ports import free_port
from golem_task_api.node.services import ProcessTaskApiService
from golem_task_api.proto import golem_task_api_pb2 as pb
from golem_task_api.wire.dirutils import RequestorTaskDir

from tests.interop.grpclib_node import open_when_serving

pytestmark = pytest.mark.timeout(180)

APP_COMMAND = [sys.executable, "-m", "tutorial_app.entrypoint"]
TASK_ID = "task-interop"
SUBTASKS = 3
EXIT_TIMEOUT = 30.0


async def start(work_dir: Path, role: str, use_tls: bool) -> tuple[ProcessTaskApiService, int]:
    work_dir.mkdir(parents=True, exist_ok=True)
    if use_tls:
        write_tls_files(work_dir)
    service = ProcessTaskApiService(work_dir, APP_COMMAND)
    port = free_port()
    await service.start([role, str(port)], port)
    return service, port


@pytest.mark.parametrize("use_tls", [False, True], ids=["plaintext", "mtls-no-alpn"])
async def test_grpclib_node_runs_a_whole_task(
    tmp_path: Path, stubs: ModuleType, use_tls: bool
) -> None:
    requestor_dir = tmp_path / "requestor"
    provider_dir = tmp_path / "provider" / TASK_ID  # one per task, reused
    service, port = await start(requestor_dir, "requestor", use_tls)
    try:
        channel = await open_when_serving(requestor_dir, port)
        requestor = stubs.RequestorAppStub(channel)
        task_dir = RequestorTaskDir(requestor_dir / TASK_ID)
        task_dir.prepare()
        (task_dir.task_inputs_dir / "input.txt").write_text("interop\n", encoding="utf-8")
        params = {"difficulty": 4, "resources": ["input.txt"], "subtasks_count": SUBTASKS}
        created = await requestor.CreateTask(
            pb.CreateTaskRequest(
                task_id=TASK_ID, max_subtasks_count=SUBTASKS, task_params_json=json.dumps(params)
            )
        )
        assert created.env_id == "docker_cpu"
        for number in range(SUBTASKS):
            pending = await requestor.HasPendingSubtasks(
                pb.HasPendingSubtasksRequest(task_id=TASK_ID)
            )
            assert pending.has_pending_subtasks
            sid = f"subtask-{number}"
            reply = await requestor.NextSubtask(
                pb.NextSubtaskRequest(task_id=TASK_ID, subtask_id=sid, opaque_node_id="ab" * 32)
            )
            assert reply.HasField("subtask")
            output = await compute(
                stubs, provider_dir, use_tls, sid, reply.subtask, task_dir.subtask_inputs_dir
            )
            outputs = task_dir.subtask_outputs_dir(sid)
            outputs.mkdir(parents=True, exist_ok=True)
            shutil.copy(provider_dir / output, outputs / Path(output).name)
            verdict = await requestor.Verify(pb.VerifyRequest(task_id=TASK_ID, subtask_id=sid))
            assert verdict.result == pb.VerifyReply.SUCCESS, verdict.reason
        pending = await requestor.HasPendingSubtasks(pb.HasPendingSubtasksRequest(task_id=TASK_ID))
        assert not pending.has_pending_subtasks
        assert len(list(task_dir.task_outputs_dir.iterdir())) == SUBTASKS
        await requestor.Shutdown(pb.ShutdownRequest())
        await service.wait_until_shutdown_complete(EXIT_TIMEOUT)
        channel.close()
    finally:
        await service.stop()


async def compute(
    stubs: ModuleType,
    provider_dir: Path,
    use_tls: bool,
    sid: str,
    subtask: pb.SubtaskReply,
    inputs: Path,
) -> str:
    """One provider for one Compute, in the task's provider directory."""
    (provider_dir / "subtask_inputs").mkdir(parents=True, exist_ok=True)
    for name in subtask.resources:
        shutil.copy(inputs / name, provider_dir / "subtask_inputs" / name)
    service, port = await start(provider_dir, "provider", use_tls)
    try:
        channel = await open_when_serving(provider_dir, port)
        reply = await stubs.ProviderAppStub(channel).Compute(
            pb.ComputeRequest(
                task_id=TASK_ID, subtask_id=sid, subtask_params_json=subtask.subtask_params_json
            )
        )
        await service.wait_until_shutdown_complete(EXIT_TIMEOUT)  # channel still open
        channel.close()
        return str(reply.output_filepath)
    finally:
        await service.stop()
