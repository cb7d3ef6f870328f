"""0.24's `DockerTaskApiService(image, work_dir)`: an app's image run by the `docker` CLI.

A thin 0.24-style face on `services.docker.DockerTaskApiService` (no
docker SDK needed). `vm_name` (docker-machine on Windows) is accepted and
ignored; the SDK helpers `run_docker_container` and
`get_docker_container_port_mapping` are not provided.
"""

import subprocess
from pathlib import Path

from golem_task_api.compat.legacy_service import TaskApiService
from golem_task_api.node.services import docker


def is_docker_available() -> bool:
    """True if the Docker daemon answers."""
    try:
        done = subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def split_image(image: str) -> tuple[str, str]:
    """`repo/name:tag` -> (`repo/name`, `tag`); no tag means `latest`."""
    name, colon, tag = image.rpartition(":")
    if not colon or "/" in tag:
        return image, "latest"
    return name, tag


class DockerTaskApiService(TaskApiService):
    def __init__(self, image: str, work_dir: Path, vm_name: str | None = "default") -> None:
        name, tag = split_image(image)
        self._service = docker.DockerTaskApiService(Path(work_dir), name, tag)

    async def start(self, command: str, port: int) -> tuple[str, int]:
        return await self._service.start(command.split(" "), port)

    async def stop(self) -> None:
        await self._service.stop()

    def running(self) -> bool:
        return self._service.running()

    async def wait_until_shutdown_complete(self) -> None:
        await self._service.wait_until_shutdown_complete()
