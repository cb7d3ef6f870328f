"""Typed paths for the requestor's and the provider's work directories.

They subclass the concrete `Path` class so handlers can use them as paths
while the names say which directory a function expects.
"""

from pathlib import Path
from typing import TYPE_CHECKING

from golem_task_api import constants

if TYPE_CHECKING:
    _PathBase = Path
else:
    _PathBase = type(Path())  # PosixPath or WindowsPath: `Path` itself cannot be subclassed


class RequestorTaskDir(_PathBase):  # type: ignore[valid-type,misc]
    """`<work>/<task_id>/` on the requestor, with its four sub-directories."""

    @property
    def task_inputs_dir(self) -> Path:
        return self / constants.TASK_INPUTS_DIR

    @property
    def subtask_inputs_dir(self) -> Path:
        return self / constants.SUBTASK_INPUTS_DIR

    @property
    def task_outputs_dir(self) -> Path:
        return self / constants.TASK_OUTPUTS_DIR

    @property
    def subtask_outputs_root(self) -> Path:
        return self / constants.SUBTASK_OUTPUTS_DIR

    def subtask_outputs_dir(self, subtask_id: str) -> Path:
        return self.subtask_outputs_root / subtask_id

    def prepare(self) -> None:
        """Create the directories a node creates before `CreateTask`."""
        for path in (
            self.task_inputs_dir,
            self.subtask_inputs_dir,
            self.task_outputs_dir,
            self.subtask_outputs_root,
        ):
            path.mkdir(parents=True, exist_ok=True)


class RequestorDir(_PathBase):  # type: ignore[valid-type,misc]
    """The requestor's work directory: one sub-directory per task."""

    def task_dir(self, task_id: str) -> RequestorTaskDir:
        return RequestorTaskDir(self / task_id)


class ProviderTaskDir(_PathBase):  # type: ignore[valid-type,misc]
    """The task directory a node mounts on the provider side."""

    @property
    def subtask_inputs_dir(self) -> Path:
        return self / constants.SUBTASK_INPUTS_DIR

    def prepare(self) -> None:
        self.subtask_inputs_dir.mkdir(parents=True, exist_ok=True)


class ProviderDir(_PathBase):  # type: ignore[valid-type,misc]
    """The provider's work directory: one sub-directory per task."""

    def task_dir(self, task_id: str) -> ProviderTaskDir:
        return ProviderTaskDir(self / task_id)
