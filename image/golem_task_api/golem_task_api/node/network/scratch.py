"""Where the providers' work dirs go: under the work root, or in memory.

A provider's work dir lives for one subtask, and a local run makes one
per subtask (TLS files, inputs, the result: about eight new inodes) and
removes it after. On a disk file system that churn is what the node pays
most for per subtask besides the calls themselves: ext4 slows down
allocating inodes next to ones freed moments ago, and every fsync the
requestor makes commits the churn with it (measured in
`benchmarks/local_run.py`: the node's system time per subtask about halves
in memory). So a run that keeps no work dirs may put its providers' dirs on
a tmpfs. A run that keeps them (`--work-root`, `--keep-work`) puts them
under `<work root>/providers`, to be looked at later. Provider dirs are
never needed to resume a run: the requestor's dir and the ledger are.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: Where to look for a tmpfs, in order: the user's own runtime dir, then POSIX shared memory.
CANDIDATES = ("$XDG_RUNTIME_DIR", "/dev/shm")
#: A tmpfs is used only if it has this much room (a provider's dir needs its
#: subtask's inputs and result; several are alive at once).
MIN_FREE_BYTES = 256 << 20
MOUNTS = Path("/proc/self/mounts")


#: In-memory provider dirs are named so; each is held (flock) by its run while it lives.
PREFIX = "golem-providers-"


@dataclass(frozen=True)
class ProviderDirs:
    """The dir the providers' work dirs go in; `lock` (an fd) if it is ours to remove."""

    root: Path
    lock: int | None = None

    def remove(self) -> None:
        if self.lock is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            os.close(self.lock)


def provider_dirs(work_root: Path, in_memory: bool, label: str = "") -> ProviderDirs:
    """A fresh dir in memory if asked for and there is room; else `<work root>/providers`.

    Memory outlives a run killed outright (SIGKILL, a crash), so dirs left by
    runs that are gone are removed first: a live run holds a lock on its own.
    `label` (say, a cluster worker's name) goes into the in-memory dir's name.
    """
    memory = memory_dir() if in_memory else None
    if memory is not None:
        sweep(memory)
        try:
            root = Path(tempfile.mkdtemp(prefix=PREFIX + _safe(label), dir=memory))
            return ProviderDirs(root, _hold(root))
        except OSError:
            pass
    return ProviderDirs(work_root / "providers")


def _safe(label: str) -> str:
    """`label` as a file name part ("" stays ""): a worker's name may be an address."""
    if not label:
        return ""
    return (
        "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in label)[:40] + "-"
    )


def sweep(memory: Path) -> list[Path]:
    """Remove the in-memory provider dirs (ours) of runs that are gone; the removed ones."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in memory.iterdir():
            if not entry.name.startswith(PREFIX):
                continue
            try:
                if entry.lstat().st_uid != os.geteuid() or entry.is_symlink():
                    continue
                lock = _hold(entry)
            except OSError:  # held by a live run, or gone meanwhile
                continue
            shutil.rmtree(entry, ignore_errors=True)
            os.close(lock)
            removed.append(entry)
    return removed


def _hold(directory: Path) -> int:
    """An fd holding `directory`'s lock (BlockingIOError if another process holds it)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BaseException:
        os.close(fd)
        raise
    return fd


def memory_dir(need: int = MIN_FREE_BYTES) -> Path | None:
    """A writable tmpfs dir with at least `need` bytes free, or None."""
    mounts = _mounts()
    for candidate in CANDIDATES:
        path = os.path.expandvars(candidate)
        if not path or "$" in path or not os.path.isdir(path):
            continue
        if not os.access(path, os.W_OK | os.X_OK) or _fs_type(path, mounts) != "tmpfs":
            continue
        try:
            stats = os.statvfs(path)
        except OSError:
            continue
        if stats.f_bavail * stats.f_frsize >= need:
            return Path(path)
    return None


def _mounts() -> list[tuple[str, str]]:
    """(mount point, file system type) of each mount, in the order they were made."""
    try:
        lines = MOUNTS.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    mounts = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 3:
            mounts.append((_unescape(fields[1]), fields[2]))
    return mounts


def _fs_type(path: str, mounts: list[tuple[str, str]]) -> str | None:
    """The type of the file system `path` is on: the deepest mount covering it (the last
    one made, if several are on that point)."""
    real = os.path.realpath(path)
    found, depth = None, -1
    for point, fs_type in mounts:
        covers = real == point or real.startswith(point.rstrip("/") + "/")
        if covers and len(point) >= depth:
            found, depth = fs_type, len(point)
    return found


def _unescape(field: str) -> str:
    """The kernel writes spaces, tabs, newlines and backslashes in mount points as octal."""
    for code in ("\\040", "\\011", "\\012", "\\134"):
        field = field.replace(code, chr(int(code[1:], 8)))
    return field
