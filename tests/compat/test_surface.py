"""0.24's smaller modules, used as an 0.24 app or node would use them."""

import asyncio
import importlib
import logging
import ssl
import sys
from pathlib import Path

import golem_task_api as api
import pytest
from golem_task_api import dirutils, envs, messages
from golem_task_api import ssl as task_api_ssl
from golem_task_api.apputils import process, start_logging
from golem_task_api.envs.constants import DOCKER_CPU_ENV_ID, DOCKER_GPU_ENV_ID
from golem_task_api.node.certs import write_tls_files
from golem_task_api.structs import Infrastructure

#: Every module path of the 0.24 package that this one keeps (most are thin
#: shims over the rooms: wire, app, node, compat).
PATHS_0_24 = [
    "golem_task_api",
    "golem_task_api.apputils",
    "golem_task_api.apputils.app_definition",
    "golem_task_api.apputils.database",
    "golem_task_api.apputils.database.fields",
    "golem_task_api.apputils.process",
    "golem_task_api.apputils.start_logging",
    "golem_task_api.apputils.task",
    "golem_task_api.apputils.task.database",
    "golem_task_api.client",
    "golem_task_api.constants",
    "golem_task_api.dirutils",
    "golem_task_api.entrypoint",
    "golem_task_api.enums",
    "golem_task_api.envs",
    "golem_task_api.envs.constants",
    "golem_task_api.handlers",
    "golem_task_api.messages",
    "golem_task_api.proto.constants_pb2",
    "golem_task_api.proto.envs_pb2",
    "golem_task_api.proto.golem_task_api_pb2",
    "golem_task_api.server",
    "golem_task_api.ssl",
    "golem_task_api.structs",
    "golem_task_api.testutils",
    "golem_task_api.testutils.dockertaskapiservice",
    "golem_task_api.testutils.inlinetaskapiservice",
    "golem_task_api.testutils.tasklifecycleutil",
    "golem_task_api.threading",
]


@pytest.mark.parametrize("path", PATHS_0_24)
def test_every_0_24_module_path_imports(path: str) -> None:
    assert importlib.import_module(path).__name__ == path


def test_shims_hand_on_the_rooms_objects() -> None:
    """An 0.24 path and its room give the same objects (one class, one state)."""
    from golem_task_api import client, constants, dirutils, enums, handlers, server, structs
    from golem_task_api import threading as threading_0_24
    from golem_task_api.app import handlers as app_handlers
    from golem_task_api.app import server as app_server
    from golem_task_api.app import threading as app_threading
    from golem_task_api.compat import appservers
    from golem_task_api.compat import client as compat_client
    from golem_task_api.node import client as node_client
    from golem_task_api.wire import constants as wire_constants
    from golem_task_api.wire import dirutils as wire_dirutils
    from golem_task_api.wire import enums as wire_enums
    from golem_task_api.wire import structs as wire_structs

    assert structs.Task is wire_structs.Task and enums.VerifyResult is wire_enums.VerifyResult
    assert dirutils.RequestorDir is wire_dirutils.RequestorDir
    assert constants.CONTAINER_WORK_DIR == wire_constants.CONTAINER_WORK_DIR
    assert handlers.RequestorAppHandler is app_handlers.RequestorAppHandler
    assert threading_0_24.Executor is app_threading.Executor
    assert server.serve is app_server.serve
    assert server.RequestorAppServer is appservers.RequestorAppServer
    assert client.RequestorAppClient is compat_client.RequestorAppClient
    assert issubclass(client.RequestorAppClient, node_client.RequestorAppClient)
    assert api.RequestorAppClient is client.RequestorAppClient


def test_dirutils_paths(tmp_path: Path) -> None:
    requestor = dirutils.RequestorDir(tmp_path / "req")
    task_dir = requestor.task_dir("t1")
    task_dir.prepare()
    assert task_dir.subtask_outputs_top_dir == tmp_path / "req/t1/subtask_outputs"
    assert requestor.subtask_outputs_dir("t1", "s1") == tmp_path / "req/t1/subtask_outputs/s1"
    provider = dirutils.ProviderDir(tmp_path / "prov")
    provider.task_dir("t1").prepare()
    assert provider.subtask_dir("t1", "s1") == tmp_path / "prov/t1/s1"
    assert provider.task_dir("t1").subtask_inputs_dir.is_dir()
    assert isinstance(task_dir, dirutils.FlavouredPath)


def test_docker_tasks() -> None:
    cpu = envs.create_docker_cpu_task("img", "1.0", Infrastructure(min_memory_mib=50.0))
    gpu = envs.create_docker_gpu_task("img", "1.0", Infrastructure())
    assert (cpu.env_id, gpu.env_id) == (DOCKER_CPU_ENV_ID, DOCKER_GPU_ENV_ID)
    assert cpu.prerequisites == {"image": "img", "tag": "1.0"}
    assert cpu.inf_requirements.min_memory_mib == 50.0
    cpu.inf_requirements.min_memory_mib = 60.0  # mutable, as in 0.24
    assert cpu.inf_requirements.min_memory_mib == 60.0


def test_messages_are_the_wire_messages() -> None:
    request = messages.CreateTaskRequest()
    request.task_id = "t"
    request.max_subtasks_count = 2
    assert messages.CreateTaskRequest.FromString(request.SerializeToString()) == request
    reply = messages.NextSubtaskReply()
    assert not reply.HasField("subtask")


def test_ssl_contexts(tmp_path: Path) -> None:
    assert task_api_ssl.create_server_ssl_context(tmp_path) is None  # no files: plaintext
    write_tls_files(tmp_path)
    server = task_api_ssl.create_server_ssl_context(tmp_path)
    client = task_api_ssl.create_client_ssl_context(tmp_path, tmp_path)
    assert server is not None and client is not None
    assert server.verify_mode == client.verify_mode == ssl.CERT_REQUIRED
    assert not client.check_hostname
    assert client.verify_cert_path == tmp_path / task_api_ssl.SERVER_CERT_FILE_NAME
    (tmp_path / task_api_ssl.CLIENT_CERT_FILE_NAME).write_text("garbage")
    with pytest.raises(ValueError, match="TLS context"):
        task_api_ssl.create_server_ssl_context(tmp_path)


async def test_clients_take_an_ssl_context_as_in_0_24(tmp_path: Path) -> None:
    """0.24's way to mutual TLS: the node's context from `golem_task_api.ssl`."""
    from golem_task_api.node.ports import free_port

    from tests.compat.support import inline_service

    write_tls_files(tmp_path)
    context = task_api_ssl.create_client_ssl_context(tmp_path, tmp_path)
    client = await api.RequestorAppClient.create(inline_service(tmp_path), free_port(), context)
    try:
        assert await client.run_benchmark() >= 0
    finally:
        await client.shutdown()
    # And a plain client's context (no client certificate) is refused by the app.
    plain = ssl.create_default_context(cafile=tmp_path / task_api_ssl.SERVER_CERT_FILE_NAME)
    plain.check_hostname = False
    with pytest.raises(Exception):  # noqa: B017 - refused at the handshake or the health wait
        await api.RequestorAppClient.create(
            inline_service(tmp_path), free_port(), plain, health_timeout=3.0
        )


async def test_executor_run_and_wait_for_shutdown() -> None:
    api.threading.Executor.initialize()
    assert await api.threading.Executor.run(sum, [1, 2, 3]) == 6
    slow = asyncio.ensure_future(api.threading.Executor.run(_sleep_until_shutdown))
    await asyncio.sleep(0)
    api.threading.Executor.request_shutdown()
    assert api.threading.Executor.is_shutting_down()
    await api.threading.Executor.wait_for_shutdown(timeout=10)  # 0.24: let work finish
    assert slow.done() and slow.result() == "stopped"
    api.threading.Executor.initialize()
    assert not api.threading.Executor.is_shutting_down()


def _sleep_until_shutdown() -> str:
    return "stopped" if api.threading.Executor.wait_for_shutdown(30) else "timed out"


async def test_exec_and_monitor_cmd() -> None:
    code, usage = await process.exec_and_monitor_cmd([sys.executable, "-c", "print('x')"])
    assert code == 0 and usage.real_time > 0
    assert await process.exec_cmd([sys.executable, "-c", "raise SystemExit(3)"]) == 3


def test_start_logging_sets_levels() -> None:
    root = logging.getLogger()
    before = root.level
    try:
        start_logging.from_arg("DEBUG", external_log_level="ERROR")
        assert root.level == logging.DEBUG
        assert logging.getLogger("peewee").level == logging.ERROR
        start_logging.from_arg("NOT-A-LEVEL")  # reported, not raised
        assert root.level == logging.DEBUG
    finally:
        root.setLevel(before)


def test_entrypoint_spellings() -> None:
    from golem_task_api.entrypoint import entrypoint, main

    assert callable(api.entrypoint) and api.entrypoint.main is main and entrypoint is main
    with pytest.raises(SystemExit):
        asyncio.run(api.entrypoint(Path("."), ["nonsense", "1"]))


async def test_server_objects_as_0_24_entrypoint_used_them(tmp_path: Path) -> None:
    """`RequestorAppServer(...)`: start, serve calls, Shutdown, stop."""
    from golem_task_api.node.ports import free_port
    from golem_task_api.node.services.base import TaskApiService as AppService
    from golem_task_api.server import RequestorAppServer

    from tests.compat.compat_app import RecordingLifecycle, RequestorHandler

    class AlreadyRunning(AppService):
        """The server runs in this loop already: the client only connects."""

        def __init__(self, server_task: "asyncio.Task[None]") -> None:
            self.work_dir = tmp_path
            self._task = server_task

        async def start(self, command: list[str], port: int) -> tuple[str, int]:
            return "127.0.0.1", port

        async def stop(self) -> None:
            pass

        def running(self) -> bool:
            return not self._task.done()

        async def wait_until_shutdown_complete(self, timeout: float | None = None) -> None:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)

    api.threading.Executor.initialize()
    port = free_port()
    lifecycle = RecordingLifecycle(tmp_path)
    server = RequestorAppServer(tmp_path, port, RequestorHandler(), lifecycle)
    await server.start()

    async def run() -> None:
        await server.wait_until_shutdown()
        await server.stop()

    running = asyncio.ensure_future(run())
    client = await api.RequestorAppClient.create(AlreadyRunning(running), port)
    assert await client.run_benchmark() > 0
    await client.shutdown()
    await asyncio.wait_for(running, 10)
    assert (tmp_path / "lifecycle.log").read_text().split() == ["started", "shutdown"]
