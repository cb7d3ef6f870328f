"""Shared fixtures: the fake app as a process service, and in-process servers."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from golem_task_api.client import RequestorAppClient
from golem_task_api.services import TaskApiService
from golem_task_api.threading import Executor
from runtime_helpers import fake_service, start_requestor


@pytest.fixture
def service_factory() -> Callable[[Path], TaskApiService]:
    return fake_service


@pytest.fixture(autouse=True)
def _reset_executor() -> None:
    """In-process servers share the process-wide shutdown flag."""
    Executor.reset()


@pytest.fixture
async def fake_requestor(tmp_path: Path) -> AsyncIterator[RequestorAppClient]:
    """The fake app's requestor handlers served in-process."""
    from fake_app import FakeRequestor

    client = await start_requestor(tmp_path / "requestor", FakeRequestor())
    yield client
    await client.shutdown()
