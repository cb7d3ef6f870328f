"""Helpers for the Docker tests: the image, the app's uid, the node's side."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from golem_task_api.node.services import DockerTaskApiService
from golem_task_api.testutils import TaskLifecycleUtil
from golem_task_api.wire.dirutils import RequestorTaskDir
from tutorial_app.version import IMAGE_NAME, IMAGE_TAG

#: Not root, and not a user of the image (it has no such entry in /etc/passwd).
#: Run as root, the tests stand in for a node user 12345; run by a user with
#: access to the engine, they are that node user themselves.
RUN_AS_ROOT = os.getuid() == 0
APP_UID = 12345 if RUN_AS_ROOT else os.getuid()
APP_GID = 12345 if RUN_AS_ROOT else os.getgid()
APP_USER = f"{APP_UID}:{APP_GID}"
IMAGE_REF = f"{IMAGE_NAME}:{IMAGE_TAG}"
#: Containers take longer than processes to become SERVING on a busy machine.
HEALTH_TIMEOUT = 30.0

INPUT_TEXT = "Golem proof of work, in a container.\nZażółć gęślą jaźń.\n"


def docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def unavailable_reason() -> str | None:
    try:
        info = docker("info", "--format", "{{.ServerVersion}}", timeout=20)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"docker is not usable: {exc}"
    if info.returncode != 0:
        return f"no Docker engine: {info.stderr.strip() or info.stdout.strip()}"
    inspect = docker("image", "inspect", IMAGE_REF)
    if inspect.returncode != 0:
        return f"image {IMAGE_REF} is not built (run scripts/docker-test-env)"
    return None


def give_to_app_user(*paths: Path) -> None:
    """Hand what the 'node' created to the app's uid (recursively)."""
    if not RUN_AS_ROOT:
        return  # the node's files are the caller's, and so is the container
    for top in paths:
        for root, dirs, files in os.walk(top):
            for name in [*dirs, *files]:
                os.chown(os.path.join(root, name), APP_UID, APP_GID, follow_symlinks=False)
        os.chown(top, APP_UID, APP_GID, follow_symlinks=False)


def docker_service(work_dir: Path, name_prefix: str = "tutorial-app-test") -> DockerTaskApiService:
    """The app in a container, as a node runs it (the bind mount needs no access
    to the host path's parents: the engine, as root, mounts it)."""
    give_to_app_user(work_dir)
    return DockerTaskApiService(
        work_dir,
        IMAGE_NAME,
        IMAGE_TAG,
        user=APP_USER,
        stop_grace=3.0,
        name_prefix=name_prefix,
        extra_args=["--read-only"],
    )


class DockerLifecycleUtil(TaskLifecycleUtil):
    """`TaskLifecycleUtil` whose node-side files belong to the app's uid."""

    def prepare_task_dir(self, task_id: str, resources: Iterable[Path] = ()) -> RequestorTaskDir:
        task_dir = super().prepare_task_dir(task_id, resources)
        give_to_app_user(task_dir)
        return task_dir

    def copy_result(self, subtask_id: str, result: Path, *, task_id: str | None = None) -> Path:
        target = super().copy_result(subtask_id, result, task_id=task_id)
        give_to_app_user(target.parent)
        return target
