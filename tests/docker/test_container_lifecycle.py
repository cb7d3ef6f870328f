"""The app image driven like a Golem node drives it (see conftest.py for how)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest
from golem_task_api.node.services import DockerTaskApiService
from golem_task_api.testutils import TaskLifecycleUtil
from golem_task_api.wire import tls
from golem_task_api.wire.enums import VerifyResult
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tutorial_app.version import IMAGE_NAME, IMAGE_TAG

from tests.docker.support import APP_UID, APP_USER, IMAGE_REF, docker

pytestmark = [pytest.mark.docker, pytest.mark.timeout(180)]

MakeUtil = Callable[[], TaskLifecycleUtil]
#: Low enough that a proof takes milliseconds.
EASY = 8
#: 2**48 hashes: hours at any speed; only a Shutdown ends this search.
HARD = 48


def task_params(input_file: Path, difficulty: int, subtasks: int) -> dict[str, object]:
    return {"difficulty": difficulty, "resources": [input_file.name], "subtasks_count": subtasks}


def container_exists(name: str | None) -> bool:
    assert name is not None
    return bool(docker("ps", "-aq", "--filter", f"name=^{name}$").stdout.strip())


def owners(directory: Path) -> set[int]:
    return {path.stat().st_uid for path in directory.rglob("*")}


async def test_full_task(make_util: MakeUtil, input_file: Path) -> None:
    async with make_util() as util:
        run = await util.run_task(
            task_params(input_file, EASY, 3), max_subtasks_count=3, resources=[input_file]
        )
        assert run.task.env_id == "docker_cpu"
        assert [v.result for v in run.verdicts] == [VerifyResult.SUCCESS] * 3, run.verdicts
        task_dir = util.task_dir()
        outputs = sorted(p.name for p in task_dir.task_outputs_dir.iterdir())
        assert len(outputs) == 3
        assert not await util.has_pending_subtasks()
        assert await util.next_subtask() is None
        # The app wrote its state as the uid it ran as: the container's user.
        assert APP_UID != 0
        assert APP_UID in owners(task_dir)
        for verdict in run.verdicts:
            provider_dir = util.provider_work_root / verdict.subtask_id
            assert (provider_dir / f"{verdict.subtask_id}.zip").stat().st_uid == APP_UID
        requestor = util.requestor
        assert requestor is not None
        service = requestor.service
        assert isinstance(service, DockerTaskApiService)
        name = service.container_name
        assert tls.tls_enabled(util.requestor_work_dir)
        assert container_exists(name)
    # Shutdown: the requestor container exits by itself (0) and is removed (--rm).
    assert not service.running()
    assert service.returncode == 0
    assert not container_exists(name)


async def test_prerequisites_name_the_built_image(make_util: MakeUtil, input_file: Path) -> None:
    """CreateTask tells providers to run exactly the image that was built and tested."""
    async with make_util() as util:
        await util.start_requestor()
        task = await util.create_task(
            task_params(input_file, EASY, 1), resources=[input_file], max_subtasks_count=1
        )
    assert task.prerequisites == {"image": IMAGE_NAME, "tag": IMAGE_TAG}
    ref = f"{task.prerequisites['image']}:{task.prerequisites['tag']}"
    assert docker("image", "inspect", ref).returncode == 0
    # And the app inside the image agrees about its own name.
    inside = docker(
        "run", "--rm", "--network=none", "--user", APP_USER, "--entrypoint", "python", ref,
        "-c", "import json, tutorial_app as t; print(json.dumps([t.IMAGE_NAME, t.IMAGE_TAG]))",
    )  # fmt: skip
    assert inside.returncode == 0, inside.stderr
    assert json.loads(inside.stdout) == [IMAGE_NAME, IMAGE_TAG]


async def test_mutual_tls_is_enforced(make_util: MakeUtil) -> None:
    """A client without the node's certificate gets nothing from the container."""
    async with make_util() as util:
        requestor = await util.start_requestor()
        service = requestor.service
        assert isinstance(service, DockerTaskApiService)
        target = f"127.0.0.1:{service.port}"
        for channel in (
            grpc.aio.insecure_channel(target),
            grpc.aio.secure_channel(
                target,
                grpc.ssl_channel_credentials(
                    (util.requestor_work_dir / tls.SERVER_CERT).read_bytes()
                ),
                options=[("grpc.ssl_target_name_override", "localhost")],
            ),
        ):
            async with channel:
                stub = health_pb2_grpc.HealthStub(channel)
                with pytest.raises(grpc.aio.AioRpcError):
                    await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=3)


async def test_discard_and_recompute(make_util: MakeUtil, input_file: Path) -> None:
    async with make_util() as util:
        await util.start_requestor()
        await util.create_task(
            task_params(input_file, EASY, 2), max_subtasks_count=2, resources=[input_file]
        )
        verdicts = []
        while await util.has_pending_subtasks():
            assigned = await util.next_subtask()
            assert assigned is not None
            verdicts.append(await util.compute_and_verify(*assigned))
        assert [v.result for v in verdicts] == [VerifyResult.SUCCESS] * 2
        outputs = util.task_dir().task_outputs_dir
        assert len(list(outputs.iterdir())) == 2

        first = verdicts[0].subtask_id
        assert await util.discard_subtasks([first]) == [first]
        assert len(list(outputs.iterdir())) == 1
        assert await util.has_pending_subtasks()

        assigned = await util.next_subtask()
        assert assigned is not None
        again = await util.compute_and_verify(*assigned)
        assert again.result is VerifyResult.SUCCESS
        assert not await util.has_pending_subtasks()
        assert len(list(outputs.iterdir())) == 2


async def test_shutdown_during_compute(make_util: MakeUtil, input_file: Path) -> None:
    async with make_util() as util:
        await util.start_requestor()
        await util.create_task(
            task_params(input_file, HARD, 1), max_subtasks_count=1, resources=[input_file]
        )
        assigned = await util.next_subtask()
        assert assigned is not None
        subtask_id, subtask = assigned
        task_id = util.task_id
        assert task_id is not None
        provider_dir = util.prepare_provider_dir(subtask_id, subtask.resources)
        provider = await util.start_provider(provider_dir)
        service = provider.service
        assert isinstance(service, DockerTaskApiService)
        compute = asyncio.ensure_future(provider.compute(task_id, subtask_id, subtask.params))
        await asyncio.sleep(1.0)
        assert not compute.done(), "the search ended although it cannot succeed"
        loop = asyncio.get_running_loop()
        started = loop.time()
        await provider.shutdown(timeout=10.0)
        elapsed = loop.time() - started
        with pytest.raises(grpc.aio.AioRpcError):
            await compute
        # The app stopped by itself on Shutdown (exit 0), fast, not killed by the engine.
        assert service.returncode == 0
        assert elapsed < 5.0
        assert not container_exists(service.container_name)
        assert not list(provider_dir.glob("*.zip"))
        # The requestor is still there and serving.
        assert await util.has_pending_subtasks() is False


async def test_benchmarks(make_util: MakeUtil) -> None:
    async with make_util() as util:
        await util.start_requestor()
        requestor_score = await util.run_requestor_benchmark()
        provider_score = await util.run_provider_benchmark()
    assert requestor_score > 0
    assert provider_score > 0
    # Same machine, same search: the two scores are of the same order.
    assert 0.2 < requestor_score / provider_score < 5


async def test_node_command_line(docker_image: str, tmp_path: Path) -> None:
    """The image's entry point takes exactly what a node passes; bad input exits non-zero."""
    work_dir = tmp_path / "work"
    work_dir.mkdir()
    service = DockerTaskApiService(work_dir, IMAGE_NAME, IMAGE_TAG, user="12345:12345")
    args = service.run_args(["requestor", "4000"], "x", 4000)
    assert args[:2] == ["docker", "run"]
    assert "--network=bridge" in args
    assert args[args.index("-p") + 1] == "127.0.0.1:4000:4000"
    assert args[args.index("-v") + 1] == f"{work_dir.resolve()}:/golem/work"
    assert args[args.index("--user") + 1] == "12345:12345"
    assert args[-3:] == [IMAGE_REF, "requestor", "4000"]
    default = DockerTaskApiService(work_dir, IMAGE_NAME, IMAGE_TAG)
    assert default.user == str(os.getuid())  # the uid alone, as the node
    await service.start(["nonsense", "1"], 4000)
    await service.wait_until_shutdown_complete(30)
    assert service.returncode not in (None, 0)
