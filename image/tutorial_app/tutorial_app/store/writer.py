"""Writing a task's files: atomically, and without stalling the event loop.

`write_atomic` (`golem_task_api.wire.durable.write_bytes`) replaces a file so a
crash leaves the old or the new one.
The snapshot is serialised in slices (`json.dumps` holds the GIL for its
whole run, so one call over 10^5 parts would stall the loop while it runs
in a thread). All of this is blocking: the store runs it in threads.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from golem_task_api.wire.durable import write_bytes as write_atomic

from tutorial_app.core.state import TaskState
from tutorial_app.store import snapshot
from tutorial_app.store.reader import SNAPSHOT_NAME, read_task_versioned

logger = logging.getLogger(__name__)

#: Parts (or subtasks) per `json.dumps` call when a snapshot is written.
SERIALISE_SLICE = 500


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def snapshot_text(state: TaskState, meta: dict[str, Any]) -> str:
    """The snapshot's JSON, serialised in slices: `json.dumps` holds the GIL throughout, so
    one call over 10^5 parts would stall the event loop while this runs in a thread."""
    data = snapshot.to_json(state, meta)
    parts, subtasks = data.pop("parts"), list(data.pop("subtasks").items())
    step = SERIALISE_SLICE
    part_text = ",".join(_dumps(parts[i : i + step])[1:-1] for i in range(0, len(parts), step))
    sub_text = ",".join(
        _dumps(dict(subtasks[i : i + step]))[1:-1] for i in range(0, len(subtasks), step)
    )
    return f'{_dumps(data)[:-1]},"parts":[{part_text}],"subtasks":{{{sub_text}}}}}\n'


def write_snapshot(task_dir: Path, state: TaskState, meta: dict[str, Any]) -> None:
    """Serialise and save the snapshot (blocking: a thread, with the task lock held)."""
    write_atomic(task_dir / SNAPSHOT_NAME, snapshot_text(state, meta).encode("utf-8"))


def write_new(task_dir: Path, state: TaskState, data: bytes | None = None) -> dict[str, Any]:
    """The input file (`data`, the input's bytes), then the first snapshot, both durable
    (blocking)."""
    if data is None:
        data = state.input_text.encode("utf-8")
    write_atomic(task_dir / snapshot.INPUT_NAME, data)
    meta = snapshot.input_meta(data)
    write_snapshot(task_dir, state, meta)
    return meta


def load_owned(task_dir: Path) -> tuple[TaskState | None, int, dict[str, Any] | None]:
    """Read as the owner (blocking); a format 1 task is rewritten as format 2."""
    state, replayed, version = read_task_versioned(task_dir)
    if state is None:
        return None, 0, None
    data = state.input_text.encode("utf-8")
    if version != snapshot.FORMAT_VERSION:
        logger.info("rewriting %s in format %d", task_dir, snapshot.FORMAT_VERSION)
        return state, 0, write_new(task_dir, state)
    return state, replayed, snapshot.input_meta(data)
