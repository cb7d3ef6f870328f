"""Verified results in `--out`, published one by one and checkable without the work dir.

    <out>/<task_id>.manifest.jsonl   line 1: the task (id, parameters, inputs and
                                     their sha256); then one line per result
    <out>/<task_id>.input.<name>     a copy of each task input
    <out>/<task_id>-<result name>    each verified result, as the provider made it

A result is copied to a temporary name, fsync'd and renamed into place, the
directory fsync'd, and only then is its manifest line appended (and
fsync'd): whatever stops the run, the machine included, `--out` never holds
half a file, and every line names a complete one.
Every name starts with the task id, so two tasks' results never mix.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from golem_task_api.wire import durable

MANIFEST_SUFFIX = ".manifest.jsonl"

#: Reads a verified result and the subtask's input files; returns what the
#: manifest should say so the result can be checked alone (app-specific).
Describer = Callable[[Path, list[Path]], dict[str, Any]]


def manifest_path(out_dir: Path, task_id: str) -> Path:
    return out_dir / f"{task_id}{MANIFEST_SUFFIX}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def publish_file(source: Path, target: Path) -> None:
    """Copy `source` to `target` so that `target` is either absent or complete, and
    its name lasts before a manifest line names it."""
    with source.open("rb") as src:
        durable.replace(target, lambda out: shutil.copyfileobj(src, out))


def check_out_dir(out_dir: Path, task_id: str | None, force: bool) -> str | None:
    """Why `out_dir` cannot take this task's results (None: a task not made yet), or
    None. Nothing is created: a file is made and removed at once in it, or in its
    nearest existing parent."""
    if out_dir.exists() and not out_dir.is_dir():
        return f"--out {out_dir} exists and is not a directory"
    probe = out_dir.absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        if not probe.is_dir():
            raise NotADirectoryError(20, f"{probe} is not a directory")
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        return f"--out {out_dir} is not a writable directory: {exc.strerror or exc}"
    if not out_dir.exists():
        return None
    others = sorted(
        p.name for p in out_dir.iterdir() if not task_id or not p.name.startswith(task_id)
    )
    if others and not force:
        return (
            f"--out {out_dir} already holds {len(others)} other file(s) (e.g. {others[0]}); "
            "choose an empty or new directory, or add --force to write beside them"
        )
    return None


def withdraw(out_dir: Path, task_id: str, created: bool) -> None:
    """After a failed run with no result: remove the manifest and input copies it
    wrote, and `out_dir` too if this run created it and it is empty now."""
    manifest = manifest_path(out_dir, task_id)
    with contextlib.suppress(OSError, ValueError):
        task, lines = read_manifest(manifest)
        if lines:
            return
        for described in task.get("inputs", []):
            (out_dir / Path(described["file"]).name).unlink(missing_ok=True)
        manifest.unlink()
    if created:
        with contextlib.suppress(OSError):
            out_dir.rmdir()


class OutDir:
    """Publishes a task's verified results and keeps their manifest."""

    def __init__(self, out_dir: Path, task_id: str) -> None:
        self.out_dir = out_dir
        self.task_id = task_id
        self.manifest = manifest_path(out_dir, task_id)

    def start(self, inputs: list[Path], task: dict[str, Any]) -> None:
        """Copy the inputs and write the manifest's first line (once per task)."""
        if self.manifest.exists():
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        described = []
        for source in inputs:
            name = f"{self.task_id}.input.{source.name}"
            publish_file(source, self.out_dir / name)
            described.append(
                {"name": source.name, "file": name, "sha256": sha256_of(source),
                 "bytes": source.stat().st_size}
            )  # fmt: skip
        self._append({"kind": "task", "task_id": self.task_id, **task, "inputs": described})

    def publish(self, result: Path, subtask_id: str, details: dict[str, Any]) -> Path:
        target = self.out_dir / f"{self.task_id}-{result.name}"
        publish_file(result, target)
        line = {"kind": "result", "subtask_id": subtask_id, "file": target.name,
                "sha256": sha256_of(target), **details}  # fmt: skip
        self._append(line)
        return target

    def files(self) -> list[Path]:
        """The results published so far, in the order they were verified."""
        return [self.out_dir / line["file"] for line in read_manifest(self.manifest)[1]]

    def published(self) -> dict[str, str]:
        """Subtask id -> file name of every result in the manifest."""
        if not self.manifest.exists():
            return {}
        return {line["subtask_id"]: line["file"] for line in read_manifest(self.manifest)[1]}

    def _append(self, record: dict[str, Any]) -> None:
        with self.manifest.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def read_manifest(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The task line and the result lines; raises ValueError if it is no manifest."""
    task: dict[str, Any] | None = None
    results: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise ValueError(f"{path.name} line {number} is not JSON") from None
        if not isinstance(record, dict):
            raise ValueError(f"{path.name} line {number} is not a JSON object")
        if record.get("kind") == "task" and task is None:
            task = record
        elif record.get("kind") == "result" and isinstance(record.get("file"), str):
            results.append(record)
        else:
            raise ValueError(f"{path.name} line {number} is neither the task nor a result")
    if task is None:
        raise ValueError(f"{path.name} has no task line")
    return task, results
