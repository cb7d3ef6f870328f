"""The provider answers one request and exits; `Shutdown` interrupts work."""

import asyncio
from pathlib import Path

import grpc
import pytest
from golem_task_api.node.client import ProviderAppClient
from golem_task_api.node.ports import free_port
from golem_task_api.testutils import ServiceFactory


async def start(tmp_path: Path, factory: ServiceFactory) -> ProviderAppClient:
    work_dir = tmp_path / "provider"
    (work_dir / "subtask_inputs").mkdir(parents=True)
    (work_dir / "subtask_inputs" / "in.txt").write_text("abc")
    return await ProviderAppClient.create(factory(work_dir), free_port())


async def test_exits_by_itself_after_one_compute(
    tmp_path: Path, service_factory: ServiceFactory
) -> None:
    client = await start(tmp_path, service_factory)
    try:
        output = await client.compute("t", "s1", {"input": "in.txt", "verdict": "FAILURE"})
        assert output == Path("result-s1.txt")
        assert (client.service.work_dir / output).read_text() == "FAILURE:ABC"
        await client.service.wait_until_shutdown_complete(3.0)
    finally:
        await client.shutdown()


async def test_exits_by_itself_after_a_failed_compute(
    tmp_path: Path, service_factory: ServiceFactory
) -> None:
    client = await start(tmp_path, service_factory)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await client.compute("t", "s1", {"fail": "value"})
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        await client.service.wait_until_shutdown_complete(3.0)
    finally:
        await client.shutdown()


async def test_exits_by_itself_after_benchmark(
    tmp_path: Path, service_factory: ServiceFactory
) -> None:
    client = await start(tmp_path, service_factory)
    try:
        assert await client.run_benchmark() == 42.25
        await client.service.wait_until_shutdown_complete(3.0)
    finally:
        await client.shutdown()


@pytest.mark.parametrize("cooperative", [True, False])
async def test_shutdown_interrupts_long_compute(
    tmp_path: Path, service_factory: ServiceFactory, cooperative: bool
) -> None:
    client = await start(tmp_path, service_factory)
    work_dir = client.service.work_dir
    params = {"input": "in.txt", "sleep" if cooperative else "block": 60}
    compute = asyncio.create_task(client.compute("t", "s1", params))
    try:
        await asyncio.sleep(0.3)
        assert not compute.done()
        # Events, generously bounded: the reply comes although Compute is still
        # running (60 s of work), then the provider exits and the Compute call has ended.
        await asyncio.wait_for(client.send_shutdown(), 30.0)
        await client.service.wait_until_shutdown_complete(30.0)
        await asyncio.wait_for(asyncio.gather(compute, return_exceptions=True), 30.0)
        if cooperative:
            assert (work_dir / "outcome.txt").read_text() == "interrupted"
    finally:
        compute.cancel()
        await asyncio.gather(compute, return_exceptions=True)
        await client.shutdown()
