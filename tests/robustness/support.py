"""Shared by the hostile-input and authentication tests: servers and snapshots.

Clients here are synchronous `grpc` stubs so tests (and hypothesis) need no
event loop. Apps run either as real processes (`tutorial_app.entrypoint`)
or in-process (`InProcessTaskApiService`) on a private event loop thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from golem_task_api.app.handlers import ProviderAppHandler, RequestorAppHandler
from golem_task_api.node.ports import free_port
from golem_task_api.proto import golem_task_api_pb2_grpc as pb_grpc
from golem_task_api.testutils.inprocess import InProcessTaskApiService
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tutorial_app.store import store

APP_COMMAND = [sys.executable, "-m", "tutorial_app.entrypoint"]
CALL_TIMEOUT = 10.0


def wait_serving(channel: grpc.Channel, timeout: float = 15.0) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    deadline = time.monotonic() + timeout
    while True:
        try:
            reply = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=1.0)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.RpcError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("the app never reported SERVING")
        time.sleep(0.05)


class ProcessApp:
    """`tutorial_app.entrypoint ROLE PORT --work-dir DIR` as a child process."""

    def __init__(self, role: str, work_dir: Path) -> None:
        self.role = role
        self.work_dir = work_dir
        self.port = free_port()
        self.process = subprocess.Popen(
            [*APP_COMMAND, role, str(self.port), "--work-dir", str(work_dir)],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")

    def wait_serving(self) -> ProcessApp:
        wait_serving(self.channel)
        return self

    def stop(self) -> str:
        """Stop the process (SIGTERM, then SIGKILL) and return its stderr."""
        self.channel.close()
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(5.0)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
        _, err = self.process.communicate(timeout=5.0)
        return err.decode("utf-8", "replace")


class InProcessApp:
    """An in-process server on its own event loop thread, with a sync channel."""

    def __init__(
        self,
        work_dir: Path,
        *,
        requestor: RequestorAppHandler | None = None,
        provider: ProviderAppHandler | None = None,
    ) -> None:
        self.work_dir = work_dir
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.service = InProcessTaskApiService(
            work_dir, requestor_handler=requestor, provider_handler=provider
        )
        self.port = free_port()
        role = "requestor" if requestor is not None else "provider"
        self._run(self.service.start([role, str(self.port)], self.port))
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        wait_serving(self.channel, timeout=10.0)

    def _run(self, coro: Any, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def running(self) -> bool:
        return bool(self.service.running())

    def wait_stopped(self, timeout: float = 5.0) -> None:
        self._run(self.service.wait_until_shutdown_complete(timeout), timeout + 1)

    def stop(self) -> None:
        self.channel.close()
        try:
            self._run(self.service.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5.0)
            self.loop.close()


def requestor_stub(channel: grpc.Channel) -> pb_grpc.RequestorAppStub:
    return pb_grpc.RequestorAppStub(channel)


def provider_stub(channel: grpc.Channel) -> pb_grpc.ProviderAppStub:
    return pb_grpc.ProviderAppStub(channel)


def call(method: Any, request: Any) -> tuple[grpc.StatusCode, Any]:
    """(OK, reply) or (code, details): never raises for a gRPC status."""
    try:
        return grpc.StatusCode.OK, method(request, timeout=CALL_TIMEOUT)
    except grpc.RpcError as exc:
        return exc.code(), exc.details()


# -- snapshots -----------------------------------------------------------------


def tree(root: Path, skip: Path | None = None) -> dict[str, tuple[Any, ...]]:
    """Every entry under `root` (but not under `skip`): type, size, mtime, content hash."""
    found: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if skip is not None:
            dirnames[:] = [d for d in dirnames if here / d != skip]
        for name in [*dirnames, *filenames]:
            path = here / name
            if path == skip:
                continue
            info = os.lstat(path)
            key = str(path.relative_to(root))
            if stat.S_ISLNK(info.st_mode):
                found[key] = ("link", os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                digest = ""
                if info.st_size <= 1 << 20:
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found[key] = ("file", info.st_size, info.st_mtime_ns, digest)
            else:
                found[key] = (stat.S_IFMT(info.st_mode), info.st_mtime_ns)
    return found


def state_files(task_dir: Path) -> dict[str, str]:
    """Hashes of `task.json` and `task.journal` ('-' when absent)."""
    found = {}
    for name in (store.SNAPSHOT_NAME, store.JOURNAL_NAME):
        path = task_dir / name
        found[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "-"
    return found


@contextlib.contextmanager
def nothing_changes(root: Path) -> Iterator[None]:
    """The whole tree under `root` (work dirs, task dirs, outside files) is untouched."""
    before = tree(root)
    yield
    assert tree(root) == before


# -- zips ------------------------------------------------------------------------


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def symlink_zip(name: str, target: bytes) -> bytes:
    """One entry with the symlink file mode (what `zip --symlinks` writes)."""
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, target)
    return buffer.getvalue()


def lying_zip(data: bytes, declared: int, name: str) -> bytes:
    """A stored one-member zip whose headers declare `declared` bytes."""
    raw = bytearray(zip_of({name: data}, zipfile.ZIP_STORED))
    small = declared.to_bytes(4, "little")
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24 : central + 28] = small
    local = raw.find(b"PK\x03\x04")
    raw[local + 22 : local + 26] = small
    return bytes(raw)


def corrupt_deflate_zip(name: str) -> bytes:
    """A deflated member whose compressed bytes are garbage (zlib.error on read)."""
    raw = bytearray(zip_of({name: b"a" * 200}))
    info = zipfile.ZipFile(io.BytesIO(bytes(raw))).infolist()[0]
    start = info.header_offset + 30 + len(info.filename)
    raw[start : start + info.compress_size] = b"\xff" * info.compress_size
    return bytes(raw)


def flagged_zip(name: str, data: bytes, *, flag: int = 0, method: int | None = None) -> bytes:
    """A stored zip with a general-purpose flag (e.g. encrypted) or an unknown method."""
    raw = bytearray(zip_of({name: data}, zipfile.ZIP_STORED))
    for sig, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = raw.find(sig)
        raw[at + flag_at : at + flag_at + 2] = flag.to_bytes(2, "little")
        if method is not None:
            raw[at + method_at : at + method_at + 2] = method.to_bytes(2, "little")
    return bytes(raw)
