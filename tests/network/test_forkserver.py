"""Apps forked from a fork server are real, separate, fresh processes.

The probe app (tests/network/forkable/) writes, in its `Compute` result,
the facts of the process that computed it: pid, parent, session, threads,
and the work dir it was given.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from golem_task_api.node.client import ProviderAppClient
from golem_task_api.node.network import apps
from golem_task_api.node.network.node import NetworkConfig, run_task
from golem_task_api.node.ports import free_port
from golem_task_api.node.services import ProcessTaskApiService, TaskApiService
from golem_task_api.node.services.forked import (
    ForkedTaskApiService,
    ForkingServices,
    forkable_module,
)
from golem_task_api.wire.dirutils import ProviderTaskDir

from tests.network.support import alive

FORKABLE = Path(__file__).resolve().parent / "forkable"
PROBE = [sys.executable, "-m", "probe_app"]


@pytest.fixture(autouse=True)
def _probe_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fork server and plain processes inherit PYTHONPATH from us."""
    paths = [str(FORKABLE), *filter(None, [os.environ.get("PYTHONPATH")])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))


@pytest.fixture
async def probe_services() -> AsyncIterator[ForkingServices]:
    services = ForkingServices(PROBE)
    yield services
    await services.aclose()


async def wait_until(condition: Callable[[], bool]) -> None:
    """Poll a condition that the code under test makes true (the test's timeout bounds it)."""
    while not condition():
        await asyncio.sleep(0.01)


def thread_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


async def probe(services: ForkingServices, work_dir: Path, tls: bool = True) -> dict[str, Any]:
    """Start one provider in `work_dir`, run its `Compute`; the facts it recorded."""
    if tls:
        apps.write_tls(work_dir)
    service = services(work_dir)
    output = await apps.compute_once(service, "task", f"s-{work_dir.name}", {})
    await apps.reap_providers()
    assert not service.running()
    return dict(json.loads((work_dir / output).read_text()))


async def test_each_provider_is_its_own_process_with_its_own_work_dir(
    tmp_path: Path, probe_services: ForkingServices
) -> None:
    dirs = [tmp_path / f"provider-{n}" for n in range(4)]
    for work_dir in dirs:
        ProviderTaskDir(work_dir).prepare()
    facts = await asyncio.gather(*(probe(probe_services, d) for d in dirs))
    fork_server = probe_services.fork_server_pid
    assert fork_server is not None and fork_server != os.getpid()
    assert len({f["pid"] for f in facts}) == len(dirs)  # distinct processes
    for work_dir, fact in zip(dirs, facts, strict=True):
        assert fact["work_dir"] == str(work_dir)  # each had its own work dir
        assert fact["task_work_dir"] == str(work_dir)
        assert fact["pid"] not in (os.getpid(), fork_server)
        assert fact["ppid"] == fork_server  # forked, not started by us
        assert fact["sid"] == fact["pid"]  # its own session, so stop() reaches all of it
        assert not alive(fact["pid"])
    # The parent that forks them never started gRPC (no thread besides its own).
    assert thread_count(fork_server) == 1


async def test_the_fork_server_parent_stays_single_threaded_while_apps_serve(
    tmp_path: Path, probe_services: ForkingServices
) -> None:
    service = probe_services(tmp_path)
    client = await ProviderAppClient.create(service, free_port())
    try:
        assert isinstance(service, ForkedTaskApiService)
        assert await service.wait_ready(5.0)  # the app announced SERVING
        assert service.pid is not None
        assert probe_services.fork_server_pid is not None
        assert thread_count(probe_services.fork_server_pid) == 1
        assert await client.run_benchmark() == 1.0
    finally:
        await client.shutdown()
    assert not service.running()


async def test_stop_ends_a_forked_app_and_its_session(
    tmp_path: Path, probe_services: ForkingServices
) -> None:
    service = probe_services(tmp_path)
    await ProviderAppClient.create(service, free_port())
    pid = service.pid
    assert pid is not None and alive(pid)
    await service.stop()
    assert not service.running()
    assert not alive(pid)
    await service.stop()  # idempotent


async def test_a_usage_error_exits_and_is_reported(
    tmp_path: Path, probe_services: ForkingServices
) -> None:
    service = probe_services(tmp_path)
    await service.start(["provider", "not-a-port"], 0)
    await service.wait_until_shutdown_complete(timeout=30)
    assert not service.running()
    assert not await service.wait_ready(0.1)


async def test_closing_the_fork_server_kills_what_it_forked(tmp_path: Path) -> None:
    services = ForkingServices(PROBE)
    service = services(tmp_path)
    await ProviderAppClient.create(service, free_port())
    pid = service.pid
    assert pid is not None and alive(pid)
    await services.aclose()
    await service.wait_until_shutdown_complete(timeout=30)
    assert not alive(pid)


async def test_an_app_that_starts_threads_at_import_is_started_plainly(tmp_path: Path) -> None:
    services = ForkingServices([sys.executable, "-m", "threaded_app"])
    try:
        facts = await probe(services, tmp_path, tls=False)
        assert facts["ppid"] == os.getpid()  # a plain child of ours, not forked
        assert facts["work_dir"] == str(tmp_path)
    finally:
        await services.aclose()


@pytest.mark.parametrize(
    ("command", "module"),
    [
        ([sys.executable, "-m", "tutorial_app.entrypoint"], "tutorial_app.entrypoint"),
        (["python3", "-m", "probe_app"], "probe_app"),
        ([sys.executable, "app.py"], None),
        ([sys.executable, "-m", "probe_app", "--extra"], None),
        (["docker", "run", "-m", "x"], None),
    ],
)
def test_only_python_dash_m_commands_are_forked(command: list[str], module: str | None) -> None:
    assert forkable_module(command) == module
    service = ForkingServices(command)(Path("/nonexistent"))
    assert isinstance(service, ForkedTaskApiService if module else ProcessTaskApiService)


async def test_a_signal_reaches_a_forked_app_through_the_fork_server(
    tmp_path: Path, probe_services: ForkingServices
) -> None:
    service = probe_services(tmp_path)
    await ProviderAppClient.create(service, free_port())
    assert service.pid is not None
    os.kill(service.pid, signal.SIGTERM)  # as a user's `kill` would: it stops gracefully
    await service.wait_until_shutdown_complete(timeout=30)
    assert not service.running()


async def test_a_local_run_forks_a_fresh_provider_per_subtask_and_leaves_none(
    tmp_path: Path, input_file: Path
) -> None:
    forking = ForkingServices([sys.executable, "-m", "tutorial_app.entrypoint"])
    made: list[TaskApiService] = []

    def make(work_dir: Path) -> TaskApiService:
        made.append(forking(work_dir))
        return made[-1]

    config = NetworkConfig(
        inputs=[input_file],
        task_params={"difficulty": 1, "resources": [input_file.name], "subtasks_count": 6},
        subtasks=6,
        providers=2,
        make_service=make,
        work_root=tmp_path / "work",
    )
    try:
        report = await run_task(config)
        fork_server = forking.fork_server_pid
    finally:
        await forking.aclose()
    assert report.ok, report.error
    assert all(isinstance(service, ForkedTaskApiService) for service in made)
    pids = [service.pid for service in made]
    assert len(made) == 7 and len(set(pids)) == 7  # the requestor and six providers
    assert fork_server not in pids and os.getpid() not in pids
    assert len({service.work_dir for service in made}) == 7
    for service in made[1:]:
        assert service.work_dir.parent == tmp_path / "work" / "providers"
        assert len(list(service.work_dir.glob("*.zip"))) == 1  # its own result
    assert not any(service.running() for service in made)
    assert not any(alive(pid) for pid in pids if pid is not None)


async def test_a_dead_fork_server_is_a_failed_start_then_replaced(
    tmp_path: Path, probe_services: ForkingServices
) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    first = probe_services(tmp_path / "a")
    await ProviderAppClient.create(first, free_port())
    fork_server = probe_services.fork_server_pid
    assert fork_server is not None
    os.kill(fork_server, signal.SIGKILL)
    orphan = first.pid
    assert orphan is not None
    await first.wait_until_shutdown_complete(timeout=30)  # reported gone with its server
    await wait_until(lambda: not alive(orphan))  # and its session killed, not left behind
    # The next app gets a new fork server.
    facts = await probe(probe_services, tmp_path / "b", tls=False)
    assert probe_services.fork_server_pid not in (None, fork_server)
    assert facts["ppid"] == probe_services.fork_server_pid
    await first.stop()


async def test_a_package_runs_its_main_as_python_dash_m_does(tmp_path: Path) -> None:
    services = ForkingServices([sys.executable, "-m", "probe_pkg"])
    try:
        facts = await probe(services, tmp_path)
        assert facts["ppid"] != os.getpid()  # forked, not a plain child
        assert facts["work_dir"] == str(tmp_path)
    finally:
        await services.aclose()


async def test_a_start_cancelled_mid_fork_leaves_the_other_apps_running(
    tmp_path: Path, probe_services: ForkingServices
) -> None:
    running = probe_services(tmp_path / "running")
    (tmp_path / "running").mkdir()
    client = await ProviderAppClient.create(running, free_port())
    for n, delay in enumerate([0, 0, 0.001, 0.002, 0.005, 0.01]):
        work_dir = tmp_path / f"cancelled-{n}"
        work_dir.mkdir()
        start = asyncio.create_task(ProviderAppClient.create(probe_services(work_dir), free_port()))
        await asyncio.sleep(delay)
        start.cancel()
        await asyncio.gather(start, return_exceptions=True)
    # The fork server and the app it had already started are unharmed ...
    output = await client.compute("task", "s-running", {})
    assert (tmp_path / "running" / output).exists()
    await apps.reap_providers()
    # ... and it still forks new apps.
    assert (await probe(probe_services, tmp_path / "cancelled-0"))["ppid"] != os.getpid()


def test_stopping_reaps_a_child_that_has_no_session_of_its_own_yet() -> None:
    from golem_task_api.node.services.forkserver import kill_and_reap

    # What a child forked a moment ago looks like: still in our process group.
    child = subprocess.Popen(["sleep", "600"])
    kill_and_reap([child.pid])  # returns: the child itself was killed, not just its group
    assert not alive(child.pid)
