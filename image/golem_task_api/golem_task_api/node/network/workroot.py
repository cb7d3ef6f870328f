"""A work root's own files: which run holds it, how to resume it, what was handed out.

    <work root>/run.lock        held (flock) by the run using the root; names its pid
    <work root>/run.json        the run's settings: enough to resume it
    <work root>/subtasks.jsonl  the node's ledger: each subtask started, delivered,
                                verified or failed, one JSON line per step

The ledger is the node's memory across an interruption: a subtask started
but never settled had a provider that is gone now, so a resumed run aborts
it (or, if the app verified it just before the stop, publishes its result).
"""

from __future__ import annotations

import contextlib
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


@dataclass
class Entry:
    """What the ledger knows of one subtask."""

    state: str  # started | delivered | verified | failed
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
        for line in lines:
            try:
                record = json.loads(line)
                ledger._apply(record)
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line from a hard stop
        return ledger

    def write(self, subtask_id: str, state: str, **details: Any) -> None:
        record = {"subtask_id": subtask_id, "state": state, **details}
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
        sid = record["subtask_id"]
        entry = self.entries.setdefault(sid, Entry(state="started"))
        entry.state = record["state"]
        entry.provider = record.get("provider", entry.provider)
        entry.result = record.get("result", entry.result)
        entry.work = record.get("work", entry.work)
        entry.published = record.get("published", entry.published)
        entry.details = record.get("details", entry.details)

    def unsettled(self) -> dict[str, Entry]:
        return {s: e for s, e in self.entries.items() if e.state in ("started", "delivered")}

    def verified(self) -> dict[str, Entry]:
        return {s: e for s, e in self.entries.items() if e.state == "verified"}
