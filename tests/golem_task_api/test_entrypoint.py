"""The command line: usage errors are one line and exit status 2; signals stop cleanly."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from golem_task_api.app import command_line, entrypoint
from golem_task_api.node.client import RequestorAppClient
from golem_task_api.node.ports import free_port
from golem_task_api.node.services import ProcessTaskApiService

from tests.golem_task_api.fake_app import FakeRequestor
from tests.golem_task_api.support import FAKE_APP_COMMAND

BAD_ARGVS = [
    [],
    ["requestor"],
    ["compute", "5000"],
    ["requestor", "port"],
    ["provider", "0"],
    ["provider", "70000"],
    ["requestor", "5000", "extra"],
]


@pytest.mark.parametrize("argv", BAD_ARGVS)
async def test_usage_errors(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        await entrypoint.main(tmp_path, argv, requestor_handler=FakeRequestor())
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert "usage:" in err


async def test_missing_role_handler_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        await entrypoint.main(tmp_path, ["provider", "5000"], requestor_handler=FakeRequestor())
    assert info.value.code == 2
    assert "no provider handler" in capsys.readouterr().err


def test_usage_error_in_a_real_process(tmp_path: Path) -> None:
    result = subprocess.run(
        [*FAKE_APP_COMMAND, "provider", "x", "--work-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_split_work_dir() -> None:
    assert command_line.split_work_dir(["requestor", "1", "--work-dir", "/w"], Path("/d")) == (
        Path("/w"),
        ["requestor", "1"],
    )
    assert command_line.split_work_dir(["provider", "1"], Path("/d")) == (
        Path("/d"),
        ["provider", "1"],
    )


async def test_sigterm_stops_gracefully_with_hooks(tmp_path: Path) -> None:
    service = ProcessTaskApiService(tmp_path, FAKE_APP_COMMAND)
    client = await RequestorAppClient.create(service, free_port())
    try:
        assert service.pid is not None
        os.kill(service.pid, signal.SIGTERM)
        await service.wait_until_shutdown_complete(3.0)
    finally:
        await client.shutdown()
    hooks = (tmp_path / "lifecycle.log").read_text().split()
    assert hooks == ["before_startup", "after_startup", "before_shutdown", "after_shutdown"]


async def test_stop_kills_the_whole_process_group(tmp_path: Path) -> None:
    """A child that ignores SIGTERM and spawned a grandchild leaves nothing behind."""
    script = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    pid_file = tmp_path / "grandchild"
    command = [
        sys.executable,
        "-c",
        f"import sys; sys.stdout = open({str(pid_file)!r}, 'w')\n" + script,
    ]
    service = ProcessTaskApiService(tmp_path, command, stop_grace=0.3)
    await service.start([], 0)
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        await asyncio.sleep(0.05)
    grandchild = int(pid_file.read_text())
    await service.stop()
    assert not service.running()
    await asyncio.sleep(0.1)
    assert not Path(f"/proc/{grandchild}").exists() or "Z" in _state(grandchild)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return "Z"
