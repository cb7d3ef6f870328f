"""One requestor per work dir: a second one refuses at once and names the owner.

Regression (issue 13, defect 3): nothing stopped a second process; both
served, handed out the same part, and their shared journal stopped replaying.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from golem_task_api.node.ports import free_port
from tutorial_app import entrypoint
from tutorial_app.store import owner

from tests.robustness.load_common import (
    APP_COMMAND,
    RequestorProcess,
    check_outputs,
    put_result,
    read_input,
)

pytestmark = pytest.mark.timeout(120)


def second_requestor(work_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*APP_COMMAND, "requestor", str(free_port()), "--work-dir", str(work_dir)],
        capture_output=True,
        text=True,
        timeout=60,  # today's code would serve until killed: the timeout fails the test
    )


async def test_a_second_requestor_exits_at_once_naming_the_owner(tmp_path: Path) -> None:
    first = RequestorProcess(tmp_path / "work")
    try:
        await first.start()
        part_inputs = await first.create_task("t", 2)
        done = second_requestor(first.work_dir)
        assert done.returncode == entrypoint.BUSY_EXIT_CODE, done
        assert f"pid {first.service.pid}" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
        # The owner keeps serving, and its task is whole.
        assert first.client is not None
        task_dir = first.task_dir("t")
        for sid in ("a", "b"):
            assert await first.client.next_subtask("t", sid, "node") is not None
            put_result(task_dir, sid, read_input(task_dir, sid))
            await first.client.verify("t", sid)
        check_outputs(task_dir, part_inputs)
    finally:
        await first.kill()
        await first.close_clients()
    # The kernel drops the lock with its holder: a restart after SIGKILL owns the dir.
    await first.start()
    try:
        assert first.client is not None
        assert await first.client.has_pending_subtasks("t") is False
        pid = (first.work_dir / owner.LOCK_NAME).read_text().strip()
        assert pid == str(first.service.pid)
    finally:
        await first.stop()


def test_the_lock_is_per_work_dir(tmp_path: Path) -> None:
    held = owner.take(tmp_path / "a")
    try:
        with pytest.raises(owner.WorkDirBusy, match=r"pid \d+"):
            owner.take(tmp_path / "a")  # flock locks per open file: a second open conflicts
        os.close(owner.take(tmp_path / "b"))
    finally:
        os.close(held)
    os.close(owner.take(tmp_path / "a"))  # released with the fd
