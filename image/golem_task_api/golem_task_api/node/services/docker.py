"""Run an app's image in Docker, the way a Golem node does.

    docker run --rm -i --network bridge -p 127.0.0.1:PORT:PORT \
        -v WORK_DIR:/golem/work --user UID [--cpuset-cpus C --memory 1g \
        --cap-drop ALL] --name NAME IMAGE:TAG requestor|provider PORT

`network="bridge"` (the default) is what the node's Docker CPU environment
does: the container gets its own network and the app's port is published,
here on 127.0.0.1 only; `network="host"` shares the host's network instead.
The work dir is bind-mounted at `/golem/work` with no `--workdir` override,
and the container runs as the caller's uid alone, as on the node (no group:
gid 0 inside): a uid the image does not know, so the app may write only in
the work dir. `node_limits()` gives the node's default limits. The `docker
run` client stays attached with stdin open, so the container's exit is the
client's exit; `stop()` goes through the engine by name (SIGTERM, then
SIGKILL after a grace period). Containers still alive when the interpreter
exits are removed.
"""

import asyncio
import atexit
import contextlib
import logging
import os
import subprocess
import uuid
from collections.abc import Sequence
from pathlib import Path

from golem_task_api.node.services.base import TaskApiService, wait_for_exit
from golem_task_api.wire.constants import CONTAINER_WORK_DIR

logger = logging.getLogger(__name__)

_live_containers: dict[str, str] = {}  # name -> docker executable


@atexit.register
def _remove_leftovers() -> None:
    for name, docker in list(_live_containers.items()):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                [docker, "rm", "-f", name],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=15,
                check=False,
            )


def default_user() -> str:
    """The caller's uid alone, as a node runs its containers."""
    return str(os.getuid())


def node_limits(core: int | None = None) -> list[str]:
    """The node's defaults: one core (not core 0 when there are more), 1 GiB, no capabilities."""
    if core is None:
        cores = sorted(os.sched_getaffinity(0))
        core = cores[1] if len(cores) > 1 else cores[0]
    return ["--cpuset-cpus", str(core), "--memory", "1g", "--cap-drop", "ALL"]


class DockerTaskApiService(TaskApiService):
    def __init__(
        self,
        work_dir: Path,
        image: str,
        tag: str,
        user: str | None = None,
        *,
        docker: str = "docker",
        host: str = "127.0.0.1",
        stop_grace: float = 3.0,
        name_prefix: str = "golem-task-api",
        extra_args: Sequence[str] = (),
        network: str = "bridge",
    ) -> None:
        """`user` is "uid" or "uid:gid" (default: the caller's uid); `extra_args`
        go to `docker run` before the image (e.g. `node_limits()`); `network` is
        "bridge" (port published on `host`) or "host"."""
        if network not in ("bridge", "host"):
            raise ValueError(f"network must be 'bridge' or 'host', not {network!r}")
        self.network = network
        self.work_dir = Path(work_dir)
        self.image = image
        self.tag = tag
        self.user = user if user is not None else default_user()
        self.docker = docker
        self.host = host
        self.stop_grace = stop_grace
        self.name_prefix = name_prefix
        self.extra_args = list(extra_args)
        self.container_name: str | None = None
        self.port: int | None = None
        self._process: asyncio.subprocess.Process | None = None

    @property
    def image_ref(self) -> str:
        return f"{self.image}:{self.tag}"

    def run_args(self, command: Sequence[str], name: str, port: int | None = None) -> list[str]:
        """The full `docker run` command line for `command` (serving on `port`)."""
        work_dir = self.work_dir.resolve()
        if ":" in str(work_dir):
            raise ValueError(f"a work dir for docker -v cannot contain ':': {work_dir}")
        return [
            self.docker,
            "run",
            "--rm",
            "--pull=never",  # no registry is reachable; never wait for one
            "-i",  # stdin open, as the node keeps it
            f"--network={self.network}",
            *self._publish(port),
            "-v",
            f"{work_dir}:{CONTAINER_WORK_DIR}",
            "--user",
            self.user,
            "--name",
            name,
            *self.extra_args,
            self.image_ref,
            *command,
        ]

    def _publish(self, port: int | None) -> list[str]:
        if self.network == "host" or port is None:
            return []
        return ["-p", f"{self.host}:{port}:{port}"]

    async def start(self, command: list[str], port: int) -> tuple[str, int]:
        if self.running():
            raise RuntimeError("the service is already running")
        if not self.work_dir.is_dir():
            # docker -v would create it, owned by root: say so instead.
            raise FileNotFoundError(f"work dir does not exist: {self.work_dir}")
        name = f"{self.name_prefix}-{uuid.uuid4().hex[:12]}"
        args = self.run_args(command, name, port)
        logger.debug("starting %s", args)
        self._process = await asyncio.create_subprocess_exec(
            *args, stdin=asyncio.subprocess.PIPE, start_new_session=True
        )
        self.container_name = name
        self.port = port
        _live_containers[name] = self.docker
        return self.host, port

    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def returncode(self) -> int | None:
        """The container's exit status once it has exited (via `docker run`)."""
        return self._process.returncode if self._process else None

    async def wait_until_shutdown_complete(self, timeout: float | None = None) -> None:
        if self._process is None:
            return
        still_running = f"container {self.container_name} is still running"
        await wait_for_exit(self._process.wait(), timeout, still_running)
        self._forget()

    async def stop(self) -> None:
        process, name = self._process, self.container_name
        if process is None or name is None:
            return
        if process.returncode is None:
            # SIGTERM, then SIGKILL after the grace period (done by the engine).
            grace = max(0, round(self.stop_grace))
            await self._docker("stop", "--time", str(grace), name)
            try:
                await asyncio.wait_for(process.wait(), self.stop_grace + 10)
            except TimeoutError:
                logger.warning("container %s did not stop; killing it", name)
                await self._docker("kill", name)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        self._forget()

    def _forget(self) -> None:
        if self._process is not None and self._process.stdin is not None:
            self._process.stdin.close()
        if self.container_name is not None:
            _live_containers.pop(self.container_name, None)

    async def _docker(self, *args: str) -> None:
        """Run a docker command quietly; a container already gone is not an error."""
        proc = await asyncio.create_subprocess_exec(
            self.docker,
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await proc.communicate()
        if proc.returncode and b"No such container" not in err:
            logger.debug("docker %s: %s", " ".join(args), err.decode(errors="replace").strip())
