"""Parts and subtasks: 0.24's vocabulary for a requestor's task state.

A task is split into a fixed number of *parts*; a *subtask* is one attempt
at computing a part, under an id the node chooses. A part is done when one
of its subtasks succeeds; a failed or aborted subtask makes it computable
again (under a new subtask id).
"""

import abc
import enum


class SubtaskStatus(enum.Enum):
    WAITING = None
    COMPUTING = "computing"
    VERIFYING = "verifying"
    SUCCESS = "success"
    FAILURE = "failure"
    ABORTED = "aborted"

    @classmethod
    def default(cls) -> "SubtaskStatus":
        return cls.WAITING

    def is_computable(self) -> bool:
        """True if the part this status belongs to may be handed out (again)."""
        return self in (SubtaskStatus.WAITING, SubtaskStatus.FAILURE, SubtaskStatus.ABORTED)


class TaskManager(abc.ABC):
    """Keeps the parts of one task and the subtasks computing them."""

    @abc.abstractmethod
    def create_task(self, part_count: int) -> None:
        """Store `part_count` parts, none assigned."""

    @abc.abstractmethod
    def abort_task(self) -> None:
        """Mark every assigned subtask that has not succeeded ABORTED."""

    @abc.abstractmethod
    def get_part(self, part_num: int) -> object | None: ...

    @abc.abstractmethod
    def get_part_num(self, subtask_id: str) -> int | None: ...

    @abc.abstractmethod
    def get_subtask(self, subtask_id: str) -> object | None: ...

    @abc.abstractmethod
    def start_subtask(self, part_num: int, subtask_id: str) -> None:
        """Record a COMPUTING subtask for the part; RuntimeError if the part is not computable."""

    @abc.abstractmethod
    def update_subtask_status(self, subtask_id: str, status: SubtaskStatus) -> None: ...

    @abc.abstractmethod
    def get_subtasks_statuses(
        self, part_nums: list[int]
    ) -> dict[int, tuple[SubtaskStatus, str | None]]:
        """For each existing part: its current subtask's status and id, or (WAITING, None)."""

    @abc.abstractmethod
    def get_next_computable_part_num(self) -> int | None:
        """The lowest-numbered part with no subtask, or whose subtask failed or was aborted."""
