"""The requestor's Task API handler: thin, every call is one command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from golem_task_api.app.handlers import RequestorAppHandler
from golem_task_api.wire.dirutils import RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from golem_task_api.wire.structs import Subtask, Task

from tutorial_app.handlers import benchmark, commands, repair
from tutorial_app.store import store


class RequestorHandler(RequestorAppHandler):
    """One long-lived handler for all the node's tasks; the store caches their state."""

    def __init__(self, tasks: store.TaskStore | None = None) -> None:
        self.tasks = tasks or store.TaskStore(repair=repair.repair)

    async def create_task(
        self, task_work_dir: RequestorTaskDir, max_subtasks_count: int, task_params: dict[str, Any]
    ) -> Task:
        return await commands.create_task(
            self.tasks, task_work_dir, max_subtasks_count, task_params
        )

    async def next_subtask(
        self, task_work_dir: RequestorTaskDir, subtask_id: str, opaque_node_id: str
    ) -> Subtask | None:
        return await commands.next_subtask(self.tasks, task_work_dir, subtask_id, opaque_node_id)

    async def verify(
        self, task_work_dir: RequestorTaskDir, subtask_id: str
    ) -> tuple[VerifyResult, str | None]:
        return await commands.verify(self.tasks, task_work_dir, subtask_id)

    async def discard_subtasks(
        self, task_work_dir: RequestorTaskDir, subtask_ids: list[str]
    ) -> list[str]:
        return await commands.discard_subtasks(self.tasks, task_work_dir, subtask_ids)

    async def run_benchmark(self, work_dir: Path) -> float:
        return await benchmark.run_benchmark()

    async def has_pending_subtasks(self, task_work_dir: RequestorTaskDir) -> bool:
        return await commands.has_pending_subtasks(self.tasks, task_work_dir)

    async def abort_task(self, task_work_dir: RequestorTaskDir) -> None:
        await commands.abort_task(self.tasks, task_work_dir)

    async def abort_subtask(self, task_work_dir: RequestorTaskDir, subtask_id: str) -> None:
        await commands.abort_subtask(self.tasks, task_work_dir, subtask_id)
