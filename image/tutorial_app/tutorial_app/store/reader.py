"""Reading a task's files: snapshot, input and journal, into a `TaskState`.

The owner (the requestor's store) and a reader (`tutorial-app status`, tests)
share this code; only the owner cuts a torn journal tail, so a reader never
writes to a task directory. Anything in the files we could not have written
is `DamagedState` with one line saying what, never a stray `KeyError`, a
`RecursionError` from a deeply nested line, or a decode error that the
gRPC layer would blame on the node.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from tutorial_app.core import events
from tutorial_app.core.events import DamagedState
from tutorial_app.core.state import IllegalMove, TaskState, UnknownSubtask
from tutorial_app.store import snapshot

logger = logging.getLogger(__name__)

SNAPSHOT_NAME = "task.json"
JOURNAL_NAME = "task.journal"
#: A snapshot larger than this is not one we wrote (10^5 parts take ~25 MB).
MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024


def read_task(task_dir: Path, *, cut_torn_tail: bool = True) -> tuple[TaskState | None, int]:
    """Load snapshot + journal; the state (None before CreateTask) and events replayed."""
    state, replayed, _ = read_task_versioned(task_dir, cut_torn_tail=cut_torn_tail)
    return state, replayed


def read_task_versioned(
    task_dir: Path, *, cut_torn_tail: bool = True
) -> tuple[TaskState | None, int, int]:
    """As `read_task`, plus the snapshot's format (the owner migrates format 1)."""
    path = task_dir / SNAPSHOT_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, 0, 0
    data, version = snapshot.snapshot_format(_parse(raw, SNAPSHOT_NAME))
    text = None
    if version == snapshot.FORMAT_VERSION:
        name = snapshot.input_name(data)
        try:
            text = (task_dir / name).read_bytes()
        except FileNotFoundError:
            raise DamagedState(f"the task's input file {name} is missing") from None
    state = snapshot.from_json(data, text)
    replayed = _replay(task_dir / JOURNAL_NAME, state, cut_torn_tail)
    return state, replayed, version


def read_for_status(task_dir: Path) -> TaskState | None:
    """The task's state for display, never writing; DamagedState (one line) if unreadable."""
    try:
        return read_task(task_dir, cut_torn_tail=False)[0]
    except DamagedState:
        raise
    except OSError as exc:
        raise DamagedState(f"cannot read {exc.filename or task_dir}: {exc.strerror}") from None
    except (MemoryError, RecursionError) as exc:
        raise DamagedState(f"the task's files are damaged: {type(exc).__name__}") from None


def _parse(raw: bytes, what: str) -> object:
    if len(raw) > MAX_SNAPSHOT_BYTES:
        raise DamagedState(f"{what} is {len(raw)} bytes: not a snapshot we wrote")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # JSON and UTF-8 errors are ValueErrors
        raise DamagedState(f"{what} is not valid JSON: {str(exc)[:200]}") from None


def _replay(journal: Path, state: TaskState, cut_torn_tail: bool) -> int:
    """Apply journal events newer than the snapshot; a torn last line is dropped."""
    try:
        handle = journal.open("rb")
    except FileNotFoundError:
        return 0
    replayed = good_end = 0
    torn = False
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.endswith(b"\n"):  # only the last line can lack one: a torn append
                torn = True
                break
            # A whole line that does not parse is damage, not a crash: appends are whole
            # lines, so a crash leaves a line without its newline (above).
            event, seq = events.from_json(_parse(line, f"{JOURNAL_NAME} line {number}"))
            good_end += len(line)
            if seq <= state.seq:
                continue  # already in the snapshot (a crash between its write and the cut)
            if seq != state.seq + 1:
                raise DamagedState(f"{JOURNAL_NAME} line {number}: seq {seq} after {state.seq}")
            try:
                state.apply(event)
            except (IllegalMove, UnknownSubtask) as exc:  # a move we never made
                raise DamagedState(f"{JOURNAL_NAME} line {number} does not fit: {exc}") from None
            replayed += 1
    if torn:
        logger.warning("ignoring a torn journal tail in %s at byte %d", journal, good_end)
        if cut_torn_tail:
            with journal.open("r+b") as cut:
                cut.truncate(good_end)
                os.fsync(cut.fileno())
    return replayed
