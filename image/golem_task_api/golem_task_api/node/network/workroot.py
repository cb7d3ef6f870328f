"""A work root's own files: which run holds it, how to resume it, what was handed out.

    <work root>/run.lock        held (flock) by the run using the root; names its pid
    <work root>/run.json        the run's settings: enough to resume it
    <work root>/subtasks.jsonl  the node's ledger: each subtask started, delivered,
                                verified or failed, one JSON line per step

The ledger is the node's memory across an interruption: a subtask started
but never settled had a provider that is gone now, so a resumed run aborts
it (or, if the app verified it just before the stop, publishes its result).
Each line moves one subtask along `LEGAL_MOVES` (as the app's own state
does): a move off the table is refused as it is written, and a ledger whose
lines break it is refused as it is read (`LedgerDamaged`); the states are
written as the same strings as ever.
"""

from __future__ import annotations

import contextlib
import enum
import fcntl
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOCK_FILE = "run.lock"
RUN_FILE = "run.json"
LEDGER_FILE = "subtasks.jsonl"
REQUESTOR_DIR = "requestor"


class WorkRootBusy(Exception):
    """Another run holds the work root."""


def lock(root: Path) -> int:
    """Hold the work root for this process (released when the fd closes or we exit)."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise WorkRootBusy(f"work root {root} is in use by another run (pid {holder})") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def unlock(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def in_use(root: Path) -> bool:
    """True while some run holds `root` (its providers may be alive)."""
    try:
        fd = os.open(root / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def is_idle(root: Path) -> bool:
    """True if a run of ours used `root` and none holds it now: its providers are gone."""
    return (root / LOCK_FILE).exists() and not in_use(root)


def save_run(root: Path, settings: dict[str, Any]) -> None:
    tmp = root / f".{RUN_FILE}.tmp"
    tmp.write_text(json.dumps(settings, indent=1), encoding="utf-8")
    os.replace(tmp, root / RUN_FILE)


def load_run(root: Path) -> dict[str, Any] | None:
    """The saved settings, or None if `root` holds no run."""
    try:
        data = json.loads((root / RUN_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{root / RUN_FILE} cannot be read: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("task_id"), str):
        raise ValueError(f"{root / RUN_FILE} is not a run's settings")
    return data


def task_dirs(root: Path) -> list[Path]:
    """The requestor task directories under a work root."""
    requestor = root / REQUESTOR_DIR
    if not requestor.is_dir():
        return []
    return sorted(p for p in requestor.iterdir() if p.is_dir())


class SubtaskState(enum.StrEnum):
    """Where a subtask stands in the node's ledger (the strings are what it writes)."""

    STARTED = "started"  # noted before NextSubtask: a stop after it leaves one to abort
    UNUSED = "unused"  # the requestor had nothing for it
    DELIVERED = "delivered"  # its result is in the requestor's dir
    VERIFIED = "verified"  # the app accepted it (and it is in --out, if asked)
    FAILED = "failed"
    ABORTED = "aborted"  # its provider was gone at a resume


_S = SubtaskState
#: The one table of legal moves: from a state (None: not in the ledger yet) to the next.
LEGAL_MOVES: dict[SubtaskState | None, frozenset[SubtaskState]] = {
    None: frozenset({_S.STARTED}),
    _S.STARTED: frozenset({_S.UNUSED, _S.DELIVERED, _S.VERIFIED, _S.FAILED, _S.ABORTED}),
    _S.DELIVERED: frozenset({_S.VERIFIED, _S.FAILED, _S.ABORTED}),
    _S.UNUSED: frozenset(),
    _S.VERIFIED: frozenset(),
    _S.FAILED: frozenset(),
    _S.ABORTED: frozenset(),
}
#: Started, but not settled: a resumed run aborts them (their providers are gone).
UNSETTLED = frozenset({_S.STARTED, _S.DELIVERED})


class IllegalLedgerMove(ValueError):
    """A ledger line that moves a subtask where it cannot go from where it is."""


class LedgerDamaged(ValueError):
    """A ledger whose lines break `LEGAL_MOVES`: not one this node wrote."""


def check_move(subtask_id: str, old: SubtaskState | None, new: SubtaskState) -> None:
    if new not in LEGAL_MOVES[old]:
        raise IllegalLedgerMove(
            f"subtask {subtask_id}: {old or 'new'} -> {new} is not a legal move"
        )


@dataclass
class Entry:
    """What the ledger knows of one subtask."""

    state: SubtaskState
    provider: str = ""
    result: str = ""  # the delivered result's file name
    work: float | None = None
    published: str = ""  # its name in --out
    details: dict[str, Any] = field(default_factory=dict)  # what the manifest says of it


@dataclass
class Ledger:
    """Appends one line per step; `entries` is the last word on each subtask."""

    path: Path
    entries: dict[str, Entry] = field(default_factory=dict)
    #: The app acknowledged CreateTask (a run stopped before that creates it anew).
    task_created: bool = False

    @classmethod
    def open(cls, root: Path) -> Ledger:
        ledger = cls(root / LEDGER_FILE)
        try:
            lines = ledger.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            lines = []
        for number, line in enumerate(lines, 1):
            try:
                record = json.loads(line)
                ledger._apply(record)
            except IllegalLedgerMove as exc:
                raise LedgerDamaged(f"{ledger.path}, line {number}: {exc}") from None
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line from a hard stop
        return ledger

    def write(self, subtask_id: str, state: SubtaskState, **details: Any) -> None:
        """Append one step (checked against `LEGAL_MOVES` first), then apply it."""
        entry = self.entries.get(subtask_id)
        check_move(subtask_id, entry.state if entry else None, SubtaskState(state))
        record = {"subtask_id": subtask_id, "state": str(state), **details}
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        self._apply(record)

    def mark_created(self) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"task": "created"}) + "\n")
        self.task_created = True

    def _apply(self, record: dict[str, Any]) -> None:
        if record.get("task") == "created":
            self.task_created = True
            return
        sid, state = record["subtask_id"], SubtaskState(record["state"])
        old = self.entries.get(sid)
        check_move(sid, old.state if old else None, state)
        entry = self.entries.setdefault(sid, Entry(state=state))
        entry.state = state
        entry.provider = record.get("provider", entry.provider)
        entry.result = record.get("result", entry.result)
        entry.work = record.get("work", entry.work)
        entry.published = record.get("published", entry.published)
        entry.details = record.get("details", entry.details)

    def unsettled(self) -> dict[str, Entry]:
        return {s: e for s, e in self.entries.items() if e.state in UNSETTLED}

    def verified(self) -> dict[str, Entry]:
        return {s: e for s, e in self.entries.items() if e.state is SubtaskState.VERIFIED}


def note(ledger: Ledger | None, subtask_id: str, state: SubtaskState, **details: Any) -> None:
    """One step in the ledger, if the run keeps one (the one helper the node's parts use)."""
    if ledger is not None:
        ledger.write(subtask_id, state, **details)
