"""How a worker starts the app's providers, and whether it can at all.

Shared by the attempt (`worker`) and the providers started ahead (`standby`),
so neither imports the other for it.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from golem_task_api.node.services import TaskApiService

#: `python` in an app command means the worker's own interpreter.
_PYTHONS = ("python", "python3", f"python3.{sys.version_info.minor}")


@dataclass(frozen=True)
class Runtime:
    """How a worker starts providers: `command` (a process) or `image` (Docker, name:tag)."""

    command: tuple[str, ...] = ()
    image: str = ""
    tls: bool = True
    max_result_bytes: int = 64 << 20
    docker_args: tuple[str, ...] = ()


class AppMissing(Exception):
    """This worker cannot start the app at all (not installed, image missing)."""


def worker_command(command: tuple[str, ...]) -> list[str]:
    """The app command with `python` meaning this worker's interpreter."""
    words = list(command)
    if words and (words[0] in _PYTHONS or Path(words[0]).name in _PYTHONS):
        words[0] = sys.executable
    return words


def check_app(runtime: Runtime) -> None:
    """`AppMissing` (one line) if this worker plainly cannot start the app."""
    if runtime.image:
        _check_image(runtime.image)
        return
    command = worker_command(runtime.command)
    if not command:
        raise AppMissing("no app command")
    if len(command) >= 3 and command[0] == sys.executable and command[1] == "-m":
        try:
            found = importlib.util.find_spec(command[2])
        except ModuleNotFoundError as exc:
            raise AppMissing(f"module {command[2]} is not installed ({exc})") from exc
        except (ImportError, ValueError) as exc:
            raise AppMissing(f"module {command[2]} cannot be imported ({exc})") from exc
        if found is None:
            raise AppMissing(f"module {command[2]} is not installed")
    elif shutil.which(command[0]) is None:
        raise AppMissing(f"command {command[0]!r} not found")


def _check_image(image: str) -> None:
    if shutil.which("docker") is None:
        raise AppMissing("the docker command is not on PATH")
    try:
        found = subprocess.run(
            ["docker", "image", "inspect", image], capture_output=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AppMissing(f"cannot ask docker about {image}: {exc}") from exc
    if found.returncode != 0:
        said = found.stderr.decode(errors="replace").strip().splitlines()
        raise AppMissing(f"image {image} not available ({said[-1] if said else 'not found'})")


def service_factory(runtime: Runtime) -> Callable[[Path], TaskApiService]:
    if runtime.image:
        from golem_task_api.node.services import DockerTaskApiService

        name, _, tag = runtime.image.rpartition(":")

        def docker(work_dir: Path) -> TaskApiService:
            return DockerTaskApiService(work_dir, name, tag, extra_args=runtime.docker_args)

        return docker
    from golem_task_api.node.services.forked import ForkingServices

    return ForkingServices(worker_command(runtime.command))
