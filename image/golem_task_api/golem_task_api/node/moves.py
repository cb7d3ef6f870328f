"""The node's moves, shared by the local network and `TaskLifecycleUtil`.

What a node does around each call, exactly as the wire contract says:

* `create_task`: prepare `<req work>/<task_id>/`, copy the task's input
  files into `task_inputs/`, then `CreateTask`;
* `hand_out`: prepare the provider's task dir and copy the subtask's
  resources from requestor `subtask_inputs/` to provider `subtask_inputs/`
  (before `Compute`);
* `deliver_result`: copy the provider's result file, same name, to
  requestor `subtask_outputs/<subtask_id>/` (before `Verify`);
* `copy_outputs`: at the end, requestor `task_outputs/` -> the user's directory.

Names and paths that come from an app are untrusted: each must be a plain
file name, or a relative path that stays inside its directory.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from golem_task_api.node.client import RequestorAppClient
from golem_task_api.node.failures import NodeFailure
from golem_task_api.wire import ids
from golem_task_api.wire.dirutils import ProviderTaskDir, RequestorTaskDir
from golem_task_api.wire.structs import Subtask, Task


class FileMoveError(NodeFailure):
    """A file the contract promises is missing, or a path leaves its directory."""


def check_plain_name(name: str, what: str) -> str:
    """A name (a resource, a subtask id used as a directory) by the wire's rule (`ids`)."""
    if ids.plain_name_problem(name) is not None:
        raise FileMoveError(f"{what} {name!r} is not a plain file name")
    return name


def inside(base: Path, relative: str | Path, what: str) -> Path:
    """`base / relative`, resolved; refuses absolute paths and escapes (symlinks too)."""
    rel = Path(relative)
    if rel.is_absolute():
        raise FileMoveError(f"{what} {str(relative)!r} must be relative to the work dir")
    root = base.resolve()
    path = (root / rel).resolve()
    if path != root and root not in path.parents:
        raise FileMoveError(f"{what} {str(relative)!r} leads outside {base}")
    return path


def copy_inputs(inputs: Iterable[Path], task_inputs: Path) -> list[str]:
    """Copy the user's input files into `task_inputs`; return their names."""
    names: list[str] = []
    for source in inputs:
        source = Path(source)
        if not source.is_file():
            raise FileMoveError(f"input file {source} does not exist")
        if source.name in names:
            raise FileMoveError(f"two input files are named {source.name!r}")
        shutil.copyfile(source, task_inputs / source.name)
        names.append(source.name)
    return names


def copy_resources(subtask_inputs: Path, names: Iterable[str], provider_inputs: Path) -> None:
    """Hand a subtask's resources from the requestor to a provider."""
    provider_inputs.mkdir(parents=True, exist_ok=True)
    for name in names:
        check_plain_name(name, "subtask resource")
        source = inside(subtask_inputs, name, "subtask resource")
        if not source.is_file():
            raise FileMoveError(f"the app named resource {name!r} but did not write it")
        shutil.copyfile(source, provider_inputs / name)


def collect_result(provider_dir: Path, output_path: str | Path, outputs_dir: Path) -> Path:
    """Copy the provider's result into `outputs_dir`, same name; the copy's path."""
    source = inside(provider_dir, output_path, "result path")
    if not source.is_file():
        raise FileMoveError(f"the provider's result {str(output_path)!r} is not a file")
    outputs_dir.mkdir(parents=True, exist_ok=True)
    target = outputs_dir / source.name
    shutil.copyfile(source, target)
    return target


def copy_outputs(task_outputs: Path, out_dir: Path) -> list[Path]:
    """Copy everything in `task_outputs` to `out_dir` (created; same names overwritten)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    copied: list[Path] = []
    for source in sorted(task_outputs.iterdir()):
        target = out_dir / source.name
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(source, target)
        copied.append(target)
    return copied


def prepare_task(task_dir: RequestorTaskDir, inputs: Iterable[Path]) -> list[str]:
    """The task's directories, with the inputs in `task_inputs/`; their names."""
    task_dir.prepare()
    return copy_inputs(inputs, task_dir.task_inputs_dir)


async def create_task(
    requestor: RequestorAppClient,
    task_dir: RequestorTaskDir,
    max_subtasks_count: int,
    task_params: dict[str, Any],
    inputs: Iterable[Path] = (),
) -> Task:
    """Prepare the task dir (its name is the task id), copy the inputs, `CreateTask`."""
    prepare_task(task_dir, inputs)
    return await requestor.create_task(task_dir.name, max_subtasks_count, task_params)


def hand_out(task_dir: RequestorTaskDir, subtask: Subtask, provider_dir: ProviderTaskDir) -> None:
    """Make the provider's task dir hold the subtask's resources."""
    provider_dir.prepare()
    copy_resources(task_dir.subtask_inputs_dir, subtask.resources, provider_dir.subtask_inputs_dir)


def deliver_result(
    provider_dir: Path, output_path: str | Path, task_dir: RequestorTaskDir, subtask_id: str
) -> Path:
    """Copy what `Compute` named to `subtask_outputs/<subtask_id>/`; the copy's path."""
    check_plain_name(subtask_id, "subtask id")
    return collect_result(provider_dir, output_path, task_dir.subtask_outputs_dir(subtask_id))
