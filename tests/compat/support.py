"""The node side of the compatibility tests, written against 0.24's names only."""

import asyncio
import os
import sys
from pathlib import Path

from golem_task_api import TaskApiService
from golem_task_api.testutils import InlineTaskApiService

from tests.compat.compat_app import (
    WORK_DIR_ENV,
    ProviderHandler,
    RecordingLifecycle,
    RequestorHandler,
)

APP = Path(__file__).with_name("compat_app.py")
NUMBERS = list(range(1, 41))


def write_input(directory: Path) -> Path:
    path = directory / "numbers.txt"
    path.write_text(" ".join(str(n) for n in NUMBERS))
    return path


def app_params(**extra: object) -> dict[str, object]:
    return {"resources": ["numbers.txt"], **extra}


def inline_service(work_dir: Path) -> TaskApiService:
    """0.24's own way: the app's handler objects, served in a child process."""
    return InlineTaskApiService(
        work_dir,
        requestor_handler=RequestorHandler(),
        requestor_lifecycle_handler=RecordingLifecycle(work_dir),
        provider_handler=ProviderHandler(),
    )


class SubprocessTaskApiService(TaskApiService):
    """An 0.24-style service of the app's own: its `__main__` as a process.

    Implemented as an 0.24 app's test suite would (a string command, no
    timeout), so the clients' support for such services is tested too.
    """

    def __init__(self, work_dir: Path) -> None:
        self._work_dir = work_dir
        self._process: asyncio.subprocess.Process | None = None

    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self, command: str, port: int) -> tuple[str, int]:
        env = {**os.environ, WORK_DIR_ENV: str(self._work_dir)}
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, str(APP), *command.split(" "), env=env
        )
        return "127.0.0.1", port

    async def stop(self) -> None:
        if self.running():
            assert self._process is not None
            self._process.terminate()

    async def wait_until_shutdown_complete(self) -> None:
        if self._process is not None:
            await self._process.wait()


def process_service(work_dir: Path) -> TaskApiService:
    return SubprocessTaskApiService(work_dir)


def output_sums(task_outputs: Path) -> int:
    """The verified parts' sums, added up (the task's answer)."""
    import zipfile

    total = 0
    for path in sorted(task_outputs.iterdir()):
        with zipfile.ZipFile(path) as archive:
            total += int(archive.read(archive.namelist()[0]))
    return total
