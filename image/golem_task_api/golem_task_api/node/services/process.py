"""Run an app's entry point as a local child process (no Docker needed).

The child gets its own process group, so `stop()` can terminate it and
anything it started: SIGTERM to the group, then SIGKILL after a grace
period. Groups still alive when the interpreter exits are killed too.
"""

import asyncio
import atexit
import contextlib
import logging
import os
import signal
from collections.abc import Mapping
from pathlib import Path

from golem_task_api.node.services.base import TaskApiService, wait_for_exit

logger = logging.getLogger(__name__)

_live_groups: set[int] = set()


@atexit.register
def _kill_leftovers() -> None:
    for pgid in list(_live_groups):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


class ProcessTaskApiService(TaskApiService):
    def __init__(
        self,
        work_dir: Path,
        app_command: list[str],
        env: Mapping[str, str] | None = None,
        *,
        host: str = "127.0.0.1",
        stop_grace: float = 3.0,
        cwd: Path | None = None,
    ) -> None:
        """`cwd`: the app's current directory (default: ours)."""
        self.work_dir = Path(work_dir)
        self.cwd = cwd
        self.app_command = list(app_command)
        self.env = dict(env) if env is not None else None
        self.host = host
        self.stop_grace = stop_grace
        self._process: asyncio.subprocess.Process | None = None
        self._group_alive = False

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    async def start(self, command: list[str], port: int) -> tuple[str, int]:
        if self.running():
            raise RuntimeError("the service is already running")
        args = [*self.app_command, *command, "--work-dir", str(self.work_dir)]
        logger.debug("starting %s", args)
        self._process = await asyncio.create_subprocess_exec(
            *args,
            env=self.env,
            cwd=self.cwd,
            start_new_session=True,
            stdin=asyncio.subprocess.DEVNULL,
        )
        self._group_alive = True
        _live_groups.add(self._process.pid)
        return self.host, port

    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def wait_until_shutdown_complete(self, timeout: float | None = None) -> None:
        if self._process is None:
            return
        still_running = f"the app (pid {self._process.pid}) is still running"
        await wait_for_exit(self._process.wait(), timeout, still_running)
        self._kill_group(signal.SIGKILL)  # children it left behind
        _live_groups.discard(self._process.pid)

    async def stop(self) -> None:
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            self._kill_group(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), self.stop_grace)
            except TimeoutError:
                logger.warning("pid %d ignored SIGTERM; killing it", process.pid)
        self._kill_group(signal.SIGKILL)
        await process.wait()
        _live_groups.discard(process.pid)

    def _kill_group(self, signum: int) -> None:
        if self._process is None or not self._group_alive:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signum)
        if self._process.returncode is not None and signum == signal.SIGKILL:
            # Leader gone and the rest killed: never signal this (reusable) id again.
            self._group_alive = False
