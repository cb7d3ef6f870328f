"""Shared fixtures: the fake app as a process service, and in-process servers."""

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from golem_task_api.client import ProviderAppClient, RequestorAppClient
from golem_task_api.handlers import ProviderAppHandler, RequestorAppHandler
from golem_task_api.ports import free_port
from golem_task_api.services import ProcessTaskApiService, TaskApiService
from golem_task_api.services.inprocess import InProcessTaskApiService
from golem_task_api.threading import Executor

FAKE_APP = Path(__file__).with_name("fake_app.py")
FAKE_APP_COMMAND = [sys.executable, str(FAKE_APP)]


def fake_service(work_dir: Path) -> TaskApiService:
    return ProcessTaskApiService(work_dir, FAKE_APP_COMMAND, stop_grace=2.0)


@pytest.fixture
def service_factory() -> Callable[[Path], TaskApiService]:
    return fake_service


@pytest.fixture(autouse=True)
def _reset_executor() -> None:
    """In-process servers share the process-wide shutdown flag."""
    Executor.reset()


async def start_requestor(work_dir: Path, handler: RequestorAppHandler) -> RequestorAppClient:
    work_dir.mkdir(parents=True, exist_ok=True)
    service = InProcessTaskApiService(work_dir, requestor_handler=handler)
    return await RequestorAppClient.create(service, free_port(), health_timeout=5.0)


async def start_provider(work_dir: Path, handler: ProviderAppHandler) -> ProviderAppClient:
    work_dir.mkdir(parents=True, exist_ok=True)
    service = InProcessTaskApiService(work_dir, provider_handler=handler)
    return await ProviderAppClient.create(service, free_port(), health_timeout=5.0)


@pytest.fixture
async def fake_requestor(tmp_path: Path) -> AsyncIterator[RequestorAppClient]:
    """The fake app's requestor handlers served in-process."""
    from fake_app import FakeRequestor

    client = await start_requestor(tmp_path / "requestor", FakeRequestor())
    yield client
    await client.shutdown()
