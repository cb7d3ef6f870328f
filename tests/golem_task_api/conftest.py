"""Shared fixtures: the fake app as a process service, and in-process servers."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from golem_task_api.app.threading import Executor
from golem_task_api.node.client import RequestorAppClient
from golem_task_api.node.services import TaskApiService

from tests.golem_task_api.support import fake_service, start_requestor


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
    from tests.golem_task_api.fake_app import FakeRequestor

    client = await start_requestor(tmp_path / "requestor", FakeRequestor())
    yield client
    await client.shutdown()
