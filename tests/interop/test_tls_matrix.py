"""Who can talk to whom: both gRPC stacks as clients, ours and a no-ALPN
grpclib server (standing in for an original app), plaintext and mutual TLS.

Every pair works except a grpcio client against a server that selects no
ALPN over TLS: grpcio refuses it, which is why our node side uses grpclib
under TLS (`channels`). Our client is the `channels` one; "grpclib" is the
node's (no ALPN offered).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import grpc
import pytest
from golem_task_api.app.rpcs import REQUESTOR_SERVICE, RUN_BENCHMARK, Role
from golem_task_api.app.server import serve
from golem_task_api.node.certs import write_tls_files
from golem_task_api.node.channels import open_channel
from golem_task_api.node.ports import free_port
from golem_task_api.proto import golem_task_api_pb2 as pb
from golem_task_api.proto import golem_task_api_pb2_grpc as pb_grpc
from golem_task_api.wire import tls

from tests.interop.grpclib_node import open_when_serving
from tests.interop.test_lost_replies import TrivialRequestor

pytestmark = pytest.mark.timeout(120)

STANDIN = Path(__file__).with_name("standin_app.py")


async def grpcio_benchmark(work: Path, port: int) -> float:
    client = tls.client_tls(work)
    target = f"127.0.0.1:{port}"
    if client is None:
        channel = grpc.aio.insecure_channel(target)
    else:
        options = [("grpc.ssl_target_name_override", client.target_name)]
        channel = grpc.aio.secure_channel(target, client.credentials, options=options)
    async with channel:
        stub = pb_grpc.RequestorAppStub(channel)
        reply = await stub.RunBenchmark(pb.RunBenchmarkRequest(), timeout=10)
        return float(reply.score)


async def grpclib_benchmark(work: Path, port: int, stubs: ModuleType) -> float:
    channel = await open_when_serving(work, port)
    try:
        reply = await stubs.RequestorAppStub(channel).RunBenchmark(pb.RunBenchmarkRequest())
        return float(reply.score)
    finally:
        channel.close()


async def our_benchmark(work: Path, port: int) -> float:
    async with open_channel(work, "127.0.0.1", port) as channel:
        reply = await channel.call(REQUESTOR_SERVICE, RUN_BENCHMARK, pb.RunBenchmarkRequest(), 10)
        return float(reply.score)


async def run_matrix_cell(
    kind: str, use_tls: bool, client: str, tmp_path: Path, stub_file: Path, stubs: ModuleType
) -> float:
    work = tmp_path / "work"
    work.mkdir()
    if use_tls:
        write_tls_files(work)
    port = free_port()
    if kind == "ours":
        task = asyncio.create_task(serve(Role.REQUESTOR, work, port, TrivialRequestor()))
        process = None
    else:
        env = {**os.environ, "INTEROP_GRPCLIB_STUBS": str(stub_file)}
        command = [sys.executable, str(STANDIN), "requestor", str(port), "--work-dir", str(work)]
        process = subprocess.Popen(command, env=env)
        task = None
    try:
        (await open_when_serving(work, port)).close()
        if client == "grpcio":
            return await grpcio_benchmark(work, port)
        if client == "grpclib":
            return await grpclib_benchmark(work, port, stubs)
        return await our_benchmark(work, port)
    finally:
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if process is not None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("use_tls", [False, True], ids=["plaintext", "mtls"])
@pytest.mark.parametrize("client", ["grpcio", "grpclib", "ours"])
@pytest.mark.parametrize("kind", ["ours", "standin"])
async def test_matrix(
    tmp_path: Path, stub_file: Path, stubs: ModuleType, kind: str, client: str, use_tls: bool
) -> None:
    cell = run_matrix_cell(kind, use_tls, client, tmp_path, stub_file, stubs)
    if kind == "standin" and client == "grpcio" and use_tls:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await cell
        assert refused.value.code() is grpc.StatusCode.UNAVAILABLE
        return
    assert await cell == 1.0
