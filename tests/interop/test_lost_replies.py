"""No final reply is lost: a grpclib client (the node's stack) counts them.

Each round starts a server, makes the one call after which it stops
(provider `Compute`, provider `RunBenchmark`, `Shutdown` on either role),
keeps the channel open until the server has stopped, as the node does, and
counts calls that failed. The h2 client the node uses drops a reply it reads
together with a GOAWAY/PING; the requirement is 0 lost out of every round.
Servers run in this process (the wire is real loopback TCP) with trivial
handlers, a batch at a time, so the rounds stay quick.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from golem_task_api.app.handlers import ProviderAppHandler, RequestorAppHandler
from golem_task_api.app.rpcs import Role
from golem_task_api.app.server import serve
from golem_task_api.app.threading import Executor
from golem_task_api.node.certs import write_tls_files
from golem_task_api.node.ports import free_port
from golem_task_api.proto import golem_task_api_pb2 as pb
from golem_task_api.wire.dirutils import ProviderTaskDir, RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from golem_task_api.wire.structs import Subtask, Task
from grpclib.client import Channel

from tests.interop.grpclib_node import open_when_serving

pytestmark = pytest.mark.timeout(300)

ROUNDS = 200
BATCH = 20
STOP_TIMEOUT = 30.0


class TrivialProvider(ProviderAppHandler):
    async def compute(
        self, task_work_dir: ProviderTaskDir, subtask_id: str, subtask_params: dict[str, Any]
    ) -> Path:
        (task_work_dir / f"{subtask_id}.txt").write_text("done", encoding="utf-8")
        return Path(f"{subtask_id}.txt")

    async def run_benchmark(self, work_dir: Path) -> float:
        return 1.0


class TrivialRequestor(RequestorAppHandler):
    async def create_task(self, *args: Any) -> Task:
        raise NotImplementedError

    async def next_subtask(self, *args: Any) -> Subtask | None:
        return None

    async def verify(self, *args: Any) -> tuple[VerifyResult, str | None]:
        raise NotImplementedError

    async def discard_subtasks(self, *args: Any) -> list[str]:
        return []

    async def run_benchmark(self, work_dir: Path) -> float:
        return 1.0

    async def has_pending_subtasks(self, task_work_dir: RequestorTaskDir) -> bool:
        return False

    async def abort_task(self, task_work_dir: RequestorTaskDir) -> None:
        return None

    async def abort_subtask(self, task_work_dir: RequestorTaskDir, subtask_id: str) -> None:
        return None


Call = Callable[[ModuleType, Channel], Awaitable[object]]


async def provider_compute(stubs: ModuleType, channel: Channel) -> object:
    request = pb.ComputeRequest(task_id="t", subtask_id="s", subtask_params_json="{}")
    return await stubs.ProviderAppStub(channel).Compute(request)


async def provider_benchmark(stubs: ModuleType, channel: Channel) -> object:
    return await stubs.ProviderAppStub(channel).RunBenchmark(pb.RunBenchmarkRequest())


async def provider_shutdown(stubs: ModuleType, channel: Channel) -> object:
    return await stubs.ProviderAppStub(channel).Shutdown(pb.ShutdownRequest())


async def requestor_shutdown(stubs: ModuleType, channel: Channel) -> object:
    return await stubs.RequestorAppStub(channel).Shutdown(pb.ShutdownRequest())


CASES: dict[str, tuple[Role, Call]] = {
    "provider-compute": (Role.PROVIDER, provider_compute),
    "provider-benchmark": (Role.PROVIDER, provider_benchmark),
    "provider-shutdown": (Role.PROVIDER, provider_shutdown),
    "requestor-shutdown": (Role.REQUESTOR, requestor_shutdown),
}


def distinct_ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return list(ports)


async def one_round(
    work_dir: Path, port: int, role: Role, call: Call, stubs: ModuleType
) -> str | None:
    """Start, call, wait for the server to stop; the failure if the reply was lost."""
    handler = TrivialProvider() if role is Role.PROVIDER else TrivialRequestor()
    server = asyncio.create_task(serve(role, work_dir, port, handler))
    channel = await open_when_serving(work_dir, port)
    try:
        await call(stubs, channel)
        lost = None
    except Exception as exc:
        lost = f"{type(exc).__name__}: {exc}"
    await asyncio.wait_for(server, STOP_TIMEOUT)  # the node waits with its channel open
    channel.close()
    return lost


@pytest.mark.parametrize("use_tls", [False, True], ids=["plaintext", "mtls-no-alpn"])
@pytest.mark.parametrize("case", list(CASES))
async def test_no_final_reply_is_lost(
    tmp_path: Path, stubs: ModuleType, case: str, use_tls: bool
) -> None:
    role, call = CASES[case]
    certs = tmp_path / "certs"
    write_tls_files(certs)  # once: key generation is the slow part
    lost: list[str] = []
    for batch in range(ROUNDS // BATCH):
        Executor.reset()  # a provider's Shutdown sets the process-wide flag
        dirs = [tmp_path / f"r{batch}-{i}" for i in range(BATCH)]
        for work_dir in dirs:
            if use_tls:
                shutil.copytree(certs, work_dir)
            else:
                work_dir.mkdir()
        rounds = zip(dirs, distinct_ports(BATCH), strict=True)
        results = await asyncio.gather(*(one_round(d, p, role, call, stubs) for d, p in rounds))
        lost += [result for result in results if result is not None]
    print(f"{case} ({'mTLS' if use_tls else 'plaintext'}): {len(lost)} of {ROUNDS} lost")
    assert lost == []
