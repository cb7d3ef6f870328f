"""Helpers shared by the tutorial app tests."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from tutorial_app import store

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
