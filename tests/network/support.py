"""Running the `run` and `status` commands as a user would: as subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FAULTY_APP = HERE / "faulty_app.py"
TUTORIAL_APP = [sys.executable, "-m", "tutorial_app.cli"]
GOLEM_TASK_API = [sys.executable, "-m", "golem_task_api.cli"]


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.stdout)
        return data


def env(extra: dict[str, str] | None = None) -> dict[str, str]:
    environ = dict(os.environ)
    environ.pop("TASK_API_LOG_LEVEL", None)
    environ["COLUMNS"] = "120"
    environ.update(extra or {})
    return environ


def run(
    command: list[str],
    *args: str | Path,
    timeout: float = 90,
    extra_env: dict[str, str] | None = None,
) -> Result:
    done = subprocess.run(
        [*command, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env(extra_env),
        stdin=subprocess.DEVNULL,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def tutorial_app(
    *args: str | Path, timeout: float = 90, extra_env: dict[str, str] | None = None
) -> Result:
    return run(TUTORIAL_APP, *args, timeout=timeout, extra_env=extra_env)


def golem_task_api(
    *args: str | Path, timeout: float = 90, extra_env: dict[str, str] | None = None
) -> Result:
    return run(GOLEM_TASK_API, *args, timeout=timeout, extra_env=extra_env)


def _default_sigint() -> None:
    """In the child, before exec: SIGINT does what Ctrl-C does, even when the test
    suite was started in the background (a job ignores SIGINT, and the ignore is
    inherited across fork and exec)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interruptible_run(stderr_path: Path, *args: str | Path) -> subprocess.Popen[bytes]:
    """`tutorial-app ARGS` in its own session, like a shell job, so a signal sent to
    its process group reaches it and its apps as Ctrl-C would."""
    with stderr_path.open("w") as stderr:
        return subprocess.Popen(
            [*TUTORIAL_APP, *map(str, args)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            env=env(),
            start_new_session=True,
            preexec_fn=_default_sigint,
        )


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll for an event; the timeout only bounds a hang, it measures nothing."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def descendants(root: int) -> set[int]:
    """Pids of every live process below `root`, from /proc (no psutil)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        ppid = proc_ppid(int(entry.name))
        if ppid is not None:
            children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; it ends at the last ')'.
    return text[text.rindex(")") + 2 :].split()


def proc_ppid(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def alive(pid: int) -> bool:
    """Running or sleeping: a zombie (exited, not yet reaped) does not count."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def processes_mentioning(text: str) -> list[int]:
    """Live pids whose command line contains `text` (e.g. a unique work root)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and alive(int(entry.name)):
            pids.append(int(entry.name))
    return pids
