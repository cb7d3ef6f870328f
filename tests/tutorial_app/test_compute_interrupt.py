"""A provider's `Shutdown` interrupts a hopeless compute (issue 6).

With the provider as a real process, for the native search and for the
pure-Python fallback: a difficulty-256 `Compute` (it can never finish)
ends CANCELLED once `Shutdown` is answered, and the provider exits. The
time from the reply to the end of the call is printed, not asserted (a
loaded machine decides it); the interruption itself is the event tested.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import grpc
import pytest
from golem_task_api.node.services import ProcessTaskApiService, TaskApiService
from golem_task_api.testutils import TaskLifecycleUtil

from tests.tutorial_app.support import APP_COMMAND, INPUT_TEXT

pytestmark = pytest.mark.timeout(60)

#: A generous bound for events that take milliseconds on an idle machine.
EVENT_TIMEOUT_S = 30.0


@pytest.mark.parametrize("native", [True, False], ids=["native", "fallback"])
async def test_compute_at_difficulty_256_ends_on_shutdown(tmp_path: Path, native: bool) -> None:
    env = dict(os.environ)
    env.pop("TUTORIAL_APP_NO_NATIVE", None)
    if not native:
        env["TUTORIAL_APP_NO_NATIVE"] = "1"

    def service(work_dir: Path) -> TaskApiService:
        return ProcessTaskApiService(work_dir, APP_COMMAND, env=env)

    source = tmp_path / "input.txt"
    source.write_text(INPUT_TEXT, encoding="utf-8")
    async with TaskLifecycleUtil(tmp_path / "work", service) as util:
        await util.start_requestor()
        await util.create_task(
            {"difficulty": 256, "resources": ["input.txt"]},
            max_subtasks_count=1,
            resources=[source],
        )
        assigned = await util.next_subtask()
        assert assigned is not None
        sid, subtask = assigned
        provider = await util.start_provider(util.prepare_provider_dir(sid, subtask.resources))
        assert util.task_id is not None
        compute = asyncio.create_task(provider.compute(util.task_id, sid, subtask.params))
        await asyncio.sleep(0.5)
        assert not compute.done()
        await provider.send_shutdown()
        acknowledged = time.monotonic()
        with pytest.raises(grpc.aio.AioRpcError) as interrupted:
            await asyncio.wait_for(compute, EVENT_TIMEOUT_S)
        elapsed = time.monotonic() - acknowledged
        print(f"compute ended {elapsed * 1000:.1f} ms after the Shutdown reply")
        assert interrupted.value.code() is grpc.StatusCode.CANCELLED
        await provider.service.wait_until_shutdown_complete(EVENT_TIMEOUT_S)
        await provider.shutdown()
