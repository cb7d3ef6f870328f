"""`DBTaskManager`: the task's parts and subtasks in SQLite (`<work dir>/task.db`).

Apps extend `Part` with their own columns and pass the model in. Every
method is one statement or one transaction, so a crash leaves the state
as before or after it.
"""

from pathlib import Path
from typing import Any

import peewee

from golem_task_api.apputils.database import database, initialize_database
from golem_task_api.apputils.database.fields import EnumField
from golem_task_api.apputils.task import SubtaskStatus, TaskManager


class Part(peewee.Model):  # type: ignore[misc]
    class Meta:
        database = database

    num = peewee.IntegerField(primary_key=True, unique=True)
    subtask = peewee.DeferredForeignKey("Subtask", null=True, index=True, backref="parts")


class Subtask(peewee.Model):  # type: ignore[misc]
    class Meta:
        database = database

    id = peewee.CharField(primary_key=True, unique=True)
    part = peewee.ForeignKeyField(Part, null=True, index=True, backref="subtasks")
    status = EnumField(SubtaskStatus, default=SubtaskStatus.default)


class DBTaskManager(TaskManager):
    """`TaskManager` over peewee models bound to `work_dir / 'task.db'`."""

    def __init__(
        self,
        work_dir: Path,
        part_model: type[Part] = Part,
        subtask_model: type[Subtask] = Subtask,
    ) -> None:
        self._part = part_model
        self._subtask = subtask_model
        initialize_database(
            db=self._database,
            db_path=work_dir / "task.db",
            models=[self._part, self._subtask],
        )

    @property
    def _database(self) -> Any:
        """A fresh, unopened database; subclasses may choose another engine."""
        return peewee.SqliteDatabase(
            None,
            thread_safe=True,
            pragmas=(
                ("foreign_keys", True),
                ("busy_timeout", 1000),
                ("journal_mode", "WAL"),
            ),
        )

    def create_task(self, part_count: int) -> None:
        with database.atomic():
            for num in range(part_count):
                self._part.create(num=num, subtask=None)

    def abort_task(self) -> None:
        assigned = self._part.select(self._part.subtask)
        self._subtask.update(status=SubtaskStatus.ABORTED).where(
            self._subtask.status != SubtaskStatus.SUCCESS,
            self._subtask.id.in_(assigned),
        ).execute()

    def get_part(self, part_num: int) -> Part | None:
        try:
            part: Part = self._part.get(num=part_num)
        except peewee.DoesNotExist:
            return None
        return part

    def get_part_num(self, subtask_id: str) -> int | None:
        subtask = self.get_subtask(subtask_id)
        part_num = None if subtask is None else getattr(subtask, "part_id", None)
        return None if part_num is None else int(part_num)

    def get_subtask(self, subtask_id: str) -> Subtask | None:
        try:
            subtask: Subtask = self._subtask.get(id=subtask_id)
        except peewee.DoesNotExist:
            return None
        return subtask

    def start_subtask(self, part_num: int, subtask_id: str) -> None:
        with database.atomic():
            statuses = self.get_subtasks_statuses([part_num])
            if part_num in statuses and not statuses[part_num][0].is_computable():
                raise RuntimeError(f"Subtask {part_num} already started")
            part = self._part.get(self._part.num == part_num)
            self._subtask.create(id=subtask_id, part=part, status=SubtaskStatus.COMPUTING)
            part.subtask = subtask_id
            part.save()

    def update_subtask_status(self, subtask_id: str, status: SubtaskStatus) -> None:
        self._subtask.update(status=status).where(self._subtask.id == subtask_id).execute()

    def get_subtasks_statuses(
        self, part_nums: list[int]
    ) -> dict[int, tuple[SubtaskStatus, str | None]]:
        parts = (
            self._part.select(self._part.num, self._subtask.status, self._subtask.id)
            .join(self._subtask, join_type=peewee.JOIN.LEFT_OUTER, on=self._part.subtask)
            .where(self._part.num.in_(part_nums))
        )
        result: dict[int, tuple[SubtaskStatus, str | None]] = {}
        for part in parts:
            subtask = getattr(part, "subtask", None)
            if subtask is None or subtask.id is None:
                result[part.num] = (SubtaskStatus.WAITING, None)
            else:
                result[part.num] = (SubtaskStatus(subtask.status), subtask.id)
        return result

    def get_next_computable_part_num(self) -> int | None:
        busy = self._subtask.select(self._subtask.id).where(
            self._subtask.id == self._part.subtask,
            self._subtask.status.not_in((SubtaskStatus.ABORTED, SubtaskStatus.FAILURE)),
        )
        query = (
            self._part.select(self._part.num)
            .where(~peewee.fn.EXISTS(busy))
            .order_by(self._part.num.asc())
            .limit(1)
        )
        part = query.first()
        return None if part is None else int(part.num)
