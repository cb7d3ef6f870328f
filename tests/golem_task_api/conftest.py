"""Shared fixtures: the fake app as a process service."""

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from golem_task_api.services import ProcessTaskApiService, TaskApiService

FAKE_APP = Path(__file__).with_name("fake_app.py")
FAKE_APP_COMMAND = [sys.executable, str(FAKE_APP)]


def fake_service(work_dir: Path) -> TaskApiService:
    return ProcessTaskApiService(work_dir, FAKE_APP_COMMAND, stop_grace=2.0)


@pytest.fixture
def service_factory() -> Callable[[Path], TaskApiService]:
    return fake_service
