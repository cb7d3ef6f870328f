"""Helpers for the runtime's tests: the fake app as a process, in-process servers.

Kept out of conftest.py so tests can import them by a name no other test
directory uses.
"""

import json
import socket
import subprocess
import sys
from pathlib import Path

from golem_task_api.app.handlers import ProviderAppHandler, RequestorAppHandler
from golem_task_api.node.client import ProviderAppClient, RequestorAppClient
from golem_task_api.node.ports import free_port
from golem_task_api.node.services import ProcessTaskApiService, TaskApiService
from golem_task_api.testutils.inprocess import InProcessTaskApiService

FAKE_APP = Path(__file__).with_name("fake_app.py")
FAKE_APP_COMMAND = [sys.executable, str(FAKE_APP)]


def fake_service(work_dir: Path) -> TaskApiService:
    return ProcessTaskApiService(work_dir, FAKE_APP_COMMAND, stop_grace=2.0)


async def start_requestor(work_dir: Path, handler: RequestorAppHandler) -> RequestorAppClient:
    work_dir.mkdir(parents=True, exist_ok=True)
    service = InProcessTaskApiService(work_dir, requestor_handler=handler)
    return await RequestorAppClient.create(service, free_port(), health_timeout=5.0)


async def start_provider(work_dir: Path, handler: ProviderAppHandler) -> ProviderAppClient:
    work_dir.mkdir(parents=True, exist_ok=True)
    service = InProcessTaskApiService(work_dir, provider_handler=handler)
    return await ProviderAppClient.create(service, free_port(), health_timeout=5.0)


def hello(module: str) -> dict[str, object]:
    """What a fork server that imported `module` says first."""
    ours, theirs = socket.socketpair()
    with ours:
        fd = theirs.fileno()
        argv = ["--control-fd", str(fd), "--warm", "1", module]
        command = [sys.executable, "-m", "golem_task_api.node.services.forkserver", *argv]
        process = subprocess.Popen(command, pass_fds=[fd])
        theirs.close()
        try:
            line = ours.makefile("rb").readline()
        finally:
            ours.shutdown(socket.SHUT_RDWR)
            process.wait(timeout=30)
    return dict(json.loads(line))
