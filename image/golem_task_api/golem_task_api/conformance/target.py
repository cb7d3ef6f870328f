"""The app under test, started exactly as a node starts it.

A command is run as `COMMAND {requestor|provider} PORT --work-dir DIR` in a
process whose current, home and temp directories are scratch dirs of the
kit's (so writes outside the work dir show). An image is run as the node's
Docker CPU environment runs it: the work dir at /golem/work, the node's uid
alone (not root: 12345 when the kit runs as root, and the work dir is handed
to it), every capability dropped, one core, 1 GiB.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from golem_task_api.node.client import ProviderAppClient, RequestorAppClient
from golem_task_api.node.ports import free_port
from golem_task_api.node.services import DockerTaskApiService, ProcessTaskApiService, TaskApiService
from golem_task_api.node.services.docker import node_limits
from golem_task_api.wire import tls

#: What a node waits for an app to answer SERVING (0.24.5's client), container start included.
NODE_HEALTH_WAIT = 5.0
#: The uid a container runs as when the kit runs as root (a node never runs apps as root).
ROOT_STANDIN_UID = 12345


@dataclass
class AppSpec:
    """What to check: the app (a command or an image) and a sample task."""

    inputs: list[Path]
    params: dict[str, Any]
    command: list[str] | None = None
    image: str | None = None
    bad_params: list[dict[str, Any]] = field(default_factory=list)
    subtasks: int = 4
    rounds: int = 50
    definition: Path | None = None

    @property
    def name(self) -> str:
        return " ".join(self.command) if self.command else f"image {self.image}"


@dataclass(frozen=True)
class Sandbox:
    """The process's cwd, HOME and TMPDIR: none of them is the work dir."""

    root: Path

    def dirs(self) -> dict[str, Path]:
        return {name: self.root / name for name in ("cwd", "home", "tmp")}

    def make(self) -> None:
        for path in self.dirs().values():
            path.mkdir(parents=True, exist_ok=True)

    def written(self) -> list[str]:
        found = []
        for top in self.dirs().values():
            found += [str(path) for path in sorted(top.rglob("*"))]
        return found


class Target:
    """Starts and stops the app under test in fresh work dirs below `root`."""

    def __init__(self, spec: AppSpec, root: Path) -> None:
        if (spec.command is None) == (spec.image is None):
            raise ValueError("give the app as a command or as an image, not both")
        self.spec = spec
        self.root = root
        self.sandbox = Sandbox(root / "sandbox")
        self._count = 0
        self._tls_dir = root / "tls"
        self.uid = ROOT_STANDIN_UID if os.getuid() == 0 else os.getuid()

    @property
    def in_docker(self) -> bool:
        return self.spec.image is not None

    def fresh_dir(self, label: str) -> Path:
        self._count += 1
        path = self.root / f"{self._count:03d}-{label}"
        path.mkdir(parents=True)
        return path

    def write_tls(self, work_dir: Path) -> None:
        """The node's TLS files (one identity per kit run, as a node has one)."""
        if not self._tls_dir.exists():
            from golem_task_api.node.certs import write_tls_files  # node extra: cryptography

            write_tls_files(self._tls_dir)
        for name in tls.ALL_FILES:
            (work_dir / name).write_bytes((self._tls_dir / name).read_bytes())
            os.chmod(work_dir / name, 0o600)

    def hand_over(self, *paths: Path) -> None:
        """What the node wrote into a work dir belongs to the app's user (a container's uid)."""
        if not self.in_docker or os.getuid() != 0:
            return
        for top in paths:
            for path in [top, *top.rglob("*")]:
                os.chown(path, self.uid, self.uid, follow_symlinks=False)

    def service(self, work_dir: Path, sandbox: Sandbox | None = None) -> TaskApiService:
        self.hand_over(work_dir)
        if self.spec.image is not None:
            name, _, tag = self.spec.image.rpartition(":")
            return DockerTaskApiService(
                work_dir,
                name,
                tag,
                user=str(self.uid),
                extra_args=node_limits(),
                name_prefix="golem-check-app",
            )
        assert self.spec.command is not None
        box = sandbox or self.sandbox
        box.make()
        dirs = box.dirs()
        env = {**os.environ, "HOME": str(dirs["home"]), "TMPDIR": str(dirs["tmp"])}
        command = anchored(self.spec.command)
        return ProcessTaskApiService(work_dir, command, env, cwd=dirs["cwd"])

    async def requestor(
        self, work_dir: Path, *, use_tls: bool = False, sandbox: Sandbox | None = None
    ) -> RequestorAppClient:
        """A requestor SERVING within the node's wait; under TLS reached as the node does."""
        if use_tls:
            self.write_tls(work_dir)
        service = self.service(work_dir, sandbox)
        context = node_context(work_dir) if use_tls else None
        return await RequestorAppClient.create(
            service, free_port(), context, health_timeout=self.start_wait
        )

    async def provider(
        self, work_dir: Path, *, use_tls: bool = False, sandbox: Sandbox | None = None
    ) -> ProviderAppClient:
        if use_tls:
            self.write_tls(work_dir)
        service = self.service(work_dir, sandbox)
        context = node_context(work_dir) if use_tls else None
        return await ProviderAppClient.create(
            service, free_port(), context, health_timeout=self.start_wait
        )

    @property
    def start_wait(self) -> float:
        """The node's health wait; for an image, the cold start is inside it."""
        return NODE_HEALTH_WAIT


def anchored(command: list[str]) -> list[str]:
    """Relative paths on the command line made absolute: the app runs in a scratch cwd."""
    return [
        str(Path(word).resolve())
        if "/" in word and not word.startswith("/") and Path(word).exists()
        else word
        for word in command
    ]


def node_context(work_dir: Path) -> ssl.SSLContext | None:
    """The node's client context: the client pair, the server cert as root, no host
    names, and no ALPN offered (grpclib's TLS client offers none)."""
    if not tls.tls_enabled(work_dir):
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_cert_chain(work_dir / tls.CLIENT_CERT, work_dir / tls.CLIENT_KEY)
    context.load_verify_locations(work_dir / tls.SERVER_CERT)
    context.check_hostname = False
    return context


def kill_hard(service: TaskApiService) -> None:
    """SIGKILL the app (a power cut, as far as the app can tell)."""
    if isinstance(service, DockerTaskApiService):
        if service.container_name:
            subprocess.run(
                ["docker", "kill", service.container_name],
                capture_output=True,
                timeout=30,
                check=False,
            )
        return
    if isinstance(service, ProcessTaskApiService) and service.pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(service.pid, signal.SIGKILL)


async def exited_within(service: TaskApiService, seconds: float) -> float | None:
    """Seconds until the app exited, or None if it still runs after `seconds`."""
    started = time.monotonic()
    with contextlib.suppress(TimeoutError):
        await service.wait_until_shutdown_complete(seconds)
        return time.monotonic() - started
    return None


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    """`with timed() as took:` ... `took[0]` is the seconds the block ran."""
    took: list[float] = []
    started = time.monotonic()
    try:
        yield took
    finally:
        took.append(time.monotonic() - started)


async def stop(*clients: RequestorAppClient | ProviderAppClient | None) -> None:
    """Stop apps however they are (a check may leave one half dead)."""
    for client in clients:
        if client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.shutdown(timeout=3.0), 20)
