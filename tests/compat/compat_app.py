"""An app written for golem_task_api 0.24, using only 0.24's names, in its style.

The task: sum the integers of an input file. It is split into parts (one
per subtask); a provider sums its part's numbers, the requestor checks
the sum. Part state lives in the `apputils.task` SQLite database, input
and result files are zips whose one member is named after the subtask id
(as the original tutorial app names them), heavy work runs through
`threading.Executor`, and `__main__` is the 0.24.1 entry point.
"""

import asyncio
import os
import shutil
import sys
import zipfile
from pathlib import Path

import golem_task_api as api
import peewee
from golem_task_api.apputils import start_logging
from golem_task_api.apputils.task import SubtaskStatus, database
from golem_task_api.dirutils import ProviderTaskDir, RequestorTaskDir
from golem_task_api.enums import VerifyResult
from golem_task_api.envs import DOCKER_CPU_ENV_ID, create_docker_cpu_task
from golem_task_api.structs import Infrastructure, Subtask, Task

IMAGE = "example/compat-sum"
TAG = "0.1.0"
#: `compute` sleeps this long (seconds) per part when params ask it to.
SLOW_PART_SECONDS = 30.0
#: Where the process form of the app takes its work dir from (a container
#: would mount it at /golem/work instead).
WORK_DIR_ENV = "COMPAT_APP_WORK_DIR"


class Part(database.Part):
    numbers = peewee.TextField(null=True)
    slow = peewee.BooleanField(default=False)


class TaskManager(database.DBTaskManager):
    def __init__(self, work_dir: Path) -> None:
        super().__init__(work_dir, part_model=Part)


def _read_member(path: Path) -> str:
    with zipfile.ZipFile(path, "r") as archive:
        name = archive.namelist()[0]
        return archive.read(name).decode("utf-8")


def _write_member(path: Path, name: str, text: str) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(name, text)


def _sum_numbers(text: str) -> int:
    return sum(int(word) for word in text.split())


def _slow_sum(text: str, seconds: float) -> int | None:
    """Sum, after `seconds` of "work" that a Shutdown cuts short (None then)."""
    if api.threading.Executor.wait_for_shutdown(seconds):
        return None
    return _sum_numbers(text)


class RequestorHandler(api.RequestorAppHandler):
    async def create_task(
        self,
        task_work_dir: RequestorTaskDir,
        max_subtasks_count: int,
        task_params: dict,
    ) -> Task:
        resources = task_params.get("resources")
        if not resources:
            raise ValueError(f"resources={resources}")
        words = (task_work_dir.task_inputs_dir / resources[0]).read_text("utf-8").split()
        task_manager = TaskManager(task_work_dir)
        task_manager.create_task(max_subtasks_count)
        for num in range(max_subtasks_count):
            part = task_manager.get_part(num)
            part.numbers = " ".join(words[num::max_subtasks_count])
            part.slow = bool(task_params.get("slow"))
            part.save()
        task = create_docker_cpu_task(IMAGE, TAG, Infrastructure(min_memory_mib=64.0))
        assert task.env_id == DOCKER_CPU_ENV_ID
        return task

    async def next_subtask(
        self,
        task_work_dir: RequestorTaskDir,
        subtask_id: str,
        opaque_node_id: str,
    ) -> Subtask | None:
        task_manager = TaskManager(task_work_dir)
        part_num = task_manager.get_next_computable_part_num()
        if part_num is None:
            return None
        part = task_manager.get_part(part_num)
        task_manager.start_subtask(part_num, subtask_id)
        zip_name = f"{subtask_id}.zip"
        _write_member(task_work_dir.subtask_inputs_dir / zip_name, subtask_id, part.numbers)
        return Subtask(params={"part_num": part_num, "slow": part.slow}, resources=[zip_name])

    async def verify(
        self,
        task_work_dir: RequestorTaskDir,
        subtask_id: str,
    ) -> tuple[VerifyResult, str | None]:
        task_manager = TaskManager(task_work_dir)
        part_num = task_manager.get_part_num(subtask_id)
        if part_num is None:
            return VerifyResult.FAILURE, f"unknown subtask {subtask_id}"
        task_manager.update_subtask_status(subtask_id, SubtaskStatus.VERIFYING)
        result_zip = task_work_dir.subtask_outputs_dir(subtask_id) / f"{subtask_id}.zip"
        expected = _sum_numbers(task_manager.get_part(part_num).numbers)
        try:
            got = int(_read_member(result_zip))
        except (OSError, ValueError, IndexError, zipfile.BadZipFile) as exc:
            task_manager.update_subtask_status(subtask_id, SubtaskStatus.FAILURE)
            return VerifyResult.FAILURE, str(exc)
        if got != expected:
            task_manager.update_subtask_status(subtask_id, SubtaskStatus.FAILURE)
            return VerifyResult.FAILURE, f"sum {got}, expected {expected}"
        shutil.copy(result_zip, task_work_dir.task_outputs_dir / f"part-{part_num}.zip")
        task_manager.update_subtask_status(subtask_id, SubtaskStatus.SUCCESS)
        return VerifyResult.SUCCESS, None

    async def discard_subtasks(
        self,
        task_work_dir: RequestorTaskDir,
        subtask_ids: list[str],
    ) -> list[str]:
        task_manager = TaskManager(task_work_dir)
        for subtask_id in subtask_ids:
            part_num = task_manager.get_part_num(subtask_id)
            task_manager.update_subtask_status(subtask_id, SubtaskStatus.ABORTED)
            (task_work_dir.task_outputs_dir / f"part-{part_num}.zip").unlink(missing_ok=True)
        return subtask_ids

    async def has_pending_subtasks(self, task_work_dir: RequestorTaskDir) -> bool:
        return TaskManager(task_work_dir).get_next_computable_part_num() is not None

    async def run_benchmark(self, work_dir: Path) -> float:
        return await api.threading.Executor.run(_benchmark)

    async def abort_task(self, task_work_dir: RequestorTaskDir) -> None:
        TaskManager(task_work_dir).abort_task()

    async def abort_subtask(self, task_work_dir: RequestorTaskDir, subtask_id: str) -> None:
        TaskManager(task_work_dir).update_subtask_status(subtask_id, SubtaskStatus.ABORTED)


class ProviderHandler(api.ProviderAppHandler):
    async def compute(
        self,
        task_work_dir: ProviderTaskDir,
        subtask_id: str,
        subtask_params: dict,
    ) -> Path:
        numbers = _read_member(task_work_dir.subtask_inputs_dir / f"{subtask_id}.zip")
        seconds = SLOW_PART_SECONDS if subtask_params.get("slow") else 0.0
        if seconds:  # tests wait for this before they interrupt the compute
            (task_work_dir / f"{subtask_id}.computing").touch()
        total = await api.threading.Executor.run(_slow_sum, numbers, seconds)
        if total is None:
            raise RuntimeError("interrupted by shutdown")
        subtask_dir = task_work_dir.subtask_dir(subtask_id)
        subtask_dir.mkdir(exist_ok=True)
        _write_member(subtask_dir / f"{subtask_id}.zip", subtask_id, str(total))
        return Path(subtask_id) / f"{subtask_id}.zip"

    async def run_benchmark(self, work_dir: Path) -> float:
        return await api.threading.Executor.run(_benchmark)


def _benchmark() -> float:
    return float(_sum_numbers(" ".join(str(n) for n in range(10_000))) % 997 + 1)


class RecordingLifecycle(api.AppLifecycleHandler):
    """Writes each hook it passes through to `<work dir>/lifecycle.log`."""

    def __init__(self, work_dir: Path) -> None:
        super().__init__()
        self._log = work_dir / "lifecycle.log"

    def _record(self, event: str) -> None:
        with self._log.open("a") as log:
            log.write(event + "\n")

    async def on_after_startup(self) -> None:
        await super().on_after_startup()
        self._record("started")

    async def on_before_shutdown(self) -> None:
        await self.shutdown_future
        self._record("shutdown")
        await super().on_before_shutdown()


async def main() -> None:
    work_dir = Path(os.environ.get(WORK_DIR_ENV, f"/{api.constants.WORK_DIR}"))
    await api.entrypoint(
        work_dir=work_dir,
        argv=sys.argv[1:],
        requestor_handler=RequestorHandler(),
        requestor_lifecycle_handler=RecordingLifecycle(work_dir),
        provider_handler=ProviderHandler(),
    )


if __name__ == "__main__":
    start_logging.from_arg(os.environ.get("COMPAT_APP_LOG_LEVEL", "WARNING"))
    LOOP = asyncio.new_event_loop()
    LOOP.run_until_complete(main())
