"""The file moves a node makes, exactly as the wire contract says.

* task resources -> `<req work>/<task_id>/task_inputs/` before `CreateTask`;
* a subtask's resources, requestor `subtask_inputs/` -> provider
  `subtask_inputs/` before `Compute`;
* the provider's result file (same name) -> requestor
  `subtask_outputs/<subtask_id>/` before `Verify`;
* each verified result -> the user's `--out` (`golem_task_api.network.results`).

Names and paths that come from an app are untrusted: each one must be a
plain file name, or a relative path that stays inside its directory.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path


class FileMoveError(Exception):
    """A file the contract promises is missing, or a path leaves its directory."""


def check_plain_name(name: str, what: str) -> str:
    if not name or "/" in name or "\\" in name or name in (".", "..") or "\0" in name:
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
    """Copy the provider's result into `subtask_outputs/<subtask_id>/`, same name."""
    source = inside(provider_dir, output_path, "result path")
    if not source.is_file():
        raise FileMoveError(f"the provider's result {str(output_path)!r} is not a file")
    outputs_dir.mkdir(parents=True, exist_ok=True)
    target = outputs_dir / source.name
    shutil.copyfile(source, target)
    return target
