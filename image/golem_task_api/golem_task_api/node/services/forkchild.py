"""What a fork server's child does to become the app (see `forkserver`).

The parent compiles the app's entry module once (`MainCode`); a child,
given its command line, runs that code as `__main__` with the environment
and argv `python -m MODULE ARGV...` would have, and exits with the status
that command would have.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import importlib.util
import os
import signal
import sys
import traceback
import types
from dataclasses import dataclass

from golem_task_api.wire.readiness import READY_FD_ENV

#: A request line may not exceed this (argv and env of one app).
MAX_LINE = 1 << 20


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None) -> None:
    """Linux: be SIGKILLed when the parent dies, so a killed node or cluster worker
    (SIGKILL runs none of its clean-up) leaves no fork server or app behind.
    If `parent` is given and is already gone, exit now."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def read_line(fd: int) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(fd, 65536)
        if not chunk:
            raise SystemExit(0)  # the fork server went away before using us
        data += chunk
        if len(data) > MAX_LINE:
            raise SystemExit(1)
    return data


@dataclass(frozen=True)
class MainCode:
    """An entry module's code, compiled once in the parent, to run as `__main__`."""

    name: str
    spec: importlib.machinery.ModuleSpec
    code: types.CodeType

    @classmethod
    def load(cls, name: str) -> MainCode:
        """`name`'s code; for a package, its `__main__`'s, as `python -m` runs it."""
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations is not None:
            name = f"{name}.__main__"
            spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "get_code"):
            raise ImportError(f"no code to run for {name}")
        code = spec.loader.get_code(name)
        if code is None:
            raise ImportError(f"no code to run for {name}")
        return cls(name, spec, code)

    def run(self) -> None:
        """What `python -m` does with the module once found (as `runpy` does)."""
        main = types.ModuleType("__main__")
        main.__dict__.update(
            __file__=self.spec.origin,
            __cached__=self.spec.cached,
            __loader__=self.spec.loader,
            __package__=self.spec.parent,
            __spec__=self.spec,
        )
        sys.modules["__main__"] = main
        sys.argv[0] = self.spec.origin or self.name
        exec(self.code, main.__dict__)


def run_app(main: MainCode, argv: list[str], env: dict[str, str] | None, ready_fd: int) -> int:
    """`python -m MODULE argv...` in this process; the exit status it would have."""
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    os.environ[READY_FD_ENV] = str(ready_fd)
    sys.argv = [main.name, *argv]
    sys.modules.pop(main.name, None)  # imported by the parent; run afresh as `__main__`
    try:
        main.run()
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        with contextlib.suppress(Exception):
            import logging

            logging.shutdown()
    return 0
