"""Helpers shared by the tutorial app tests."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tutorial_app.store import store

INPUT_TEXT = "Golem proof of work.\nZażółć gęślą jaźń.\n"
#: Apps started as real processes for lifecycle tests.
APP_COMMAND = [sys.executable, "-m", "tutorial_app.entrypoint"]


def disk_fingerprint(task_dir: Path) -> dict[str, str]:
    """Hashes of the state files, to assert a failed call changed nothing."""
    found = {}
    for name in (store.SNAPSHOT_NAME, store.JOURNAL_NAME):
        path = task_dir / name
        found[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "-"
    return found


def fsync_running(work: Callable[[int], None]) -> Callable[[int], asyncio.Future[None]]:
    """A stand-in for `tutorial_app.store.syncing.fsync` that runs `work(fd)` on a thread
    instead: what it raises is the journal's fsync error, whichever way (native AIO or
    the thread) the loop would have fsync'd."""

    def fsync(fd: int) -> asyncio.Future[None]:
        return asyncio.get_running_loop().run_in_executor(None, work, fd)

    return fsync


_REPO = Path(__file__).resolve().parents[2]
#: The reference vectors, committed with the tests: every clone has them.
POW_VECTOR_FILE = _REPO / "tests" / "data" / "pow-vectors.json"


def load_pow_vectors() -> list[dict[str, Any]]:
    """Every reference vector: what any search and verifier must reproduce."""
    vectors: list[dict[str, Any]] = json.loads(POW_VECTOR_FILE.read_text(encoding="utf-8"))[
        "vectors"
    ]
    return vectors
