"""Typed paths for the requestor's and the provider's work directories.

They subclass the concrete `Path` class so handlers can use them as paths
while the names say which directory a function expects. Every 0.24 name
is here; `prepare` may be called again on an existing directory (0.24's
raised FileExistsError).
"""

from pathlib import Path
from typing import TYPE_CHECKING

from golem_task_api.wire import constants

if TYPE_CHECKING:
    _PathBase = Path
else:
    _PathBase = type(Path())  # PosixPath or WindowsPath: `Path` itself cannot be subclassed

#: 0.24's name for the concrete path class these directories derive from.
FlavouredPath = _PathBase


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

    @property
    def subtask_outputs_top_dir(self) -> Path:
        """0.24's name for `subtask_outputs_root`."""
        return self.subtask_outputs_root

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

    def subtask_outputs_dir(self, task_id: str, subtask_id: str) -> Path:
        return self.task_dir(task_id).subtask_outputs_dir(subtask_id)


class ProviderTaskDir(_PathBase):  # type: ignore[valid-type,misc]
    """The task directory a node mounts on the provider side."""

    @property
    def subtask_inputs_dir(self) -> Path:
        return self / constants.SUBTASK_INPUTS_DIR

    def subtask_dir(self, subtask_id: str) -> Path:
        """`<task dir>/<subtask_id>/`, where 0.24 apps put a subtask's scratch files."""
        return self / subtask_id

    def prepare(self) -> None:
        self.subtask_inputs_dir.mkdir(parents=True, exist_ok=True)


class ProviderDir(_PathBase):  # type: ignore[valid-type,misc]
    """The provider's work directory: one sub-directory per task."""

    def task_dir(self, task_id: str) -> ProviderTaskDir:
        return ProviderTaskDir(self / task_id)

    def subtask_dir(self, task_id: str, subtask_id: str) -> Path:
        return self.task_dir(task_id).subtask_dir(subtask_id)
