"""Replacing a file whole, and making that last: one way for node and apps.

A file is written under a temporary name in its own directory, then renamed
over the target, so a crash leaves the old file or the new one, never half
of one. Made durable, the data is fsync'd before the rename and the
directory after it: only then does the new name survive a machine crash,
which matters to whoever records the name elsewhere next (a journal line,
a manifest line).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def replace(path: Path, write: Callable[[BinaryIO], object], *, durable: bool = True) -> None:
    """Make `path` hold what `write` writes to the file it is given, all or nothing.

    `durable=False` skips the fsyncs, for files that can be made again (a
    machine crash may then lose them or leave them empty, never half-written
    by us).
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(path.parent)


def write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """`replace` with `data` as the new content."""
    replace(path, lambda handle: handle.write(data), durable=durable)


def fsync_dir(directory: Path) -> None:
    """Make the names in `directory` (new, renamed, removed) survive a machine crash."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
