"""The requestor's journal fsyncs through native AIO inside the node's container.

`store.syncing` falls back to a thread where the kernel path is refused
(a sandbox's seccomp, say); the fallback works, so only a look inside the
container, started with the node's own `docker run` options (no
capabilities, an unknown uid, Docker's default seccomp profile, bridge
network, one core, 1 GiB), tells which path a node's requestor really takes.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest
from golem_task_api.node.services import DockerTaskApiService
from golem_task_api.node.services.docker import node_limits
from tutorial_app.store import syncing
from tutorial_app.version import IMAGE_NAME, IMAGE_TAG

from tests.docker.support import APP_UID, give_to_app_user

pytestmark = [pytest.mark.docker, pytest.mark.timeout(120)]

#: Runs in the container: one fsync of a journal-like file in the work dir;
#: prints the syncer's name, whether the fallback thread ever started, and
#: the process's seccomp mode and effective capabilities (from the kernel).
PROBE = r"""
import asyncio, json, os, threading
from tutorial_app.store import syncing

async def main():
    fd = os.open("/golem/work/journal", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, b"entry\n")
        await syncing.fsync(fd)
    finally:
        os.close(fd)
    return syncing.syncer().name

name = asyncio.run(main())
status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines())
print(json.dumps({
    "syncer": name,
    "threads": [t.name for t in threading.enumerate()],
    "seccomp": status["Seccomp"].strip(),
    "cap_eff": status["CapEff"].strip(),
    "uid": os.getuid(),
}))
"""


def test_the_journal_fsyncs_through_native_aio_in_the_nodes_container(
    tmp_path: Path, docker_image: str
) -> None:
    give_to_app_user(tmp_path)
    service = DockerTaskApiService(
        tmp_path,
        IMAGE_NAME,
        IMAGE_TAG,
        user=str(APP_UID),
        network="bridge",
        extra_args=[*node_limits(), "--entrypoint", "python"],
    )
    args = service.run_args(["-c", PROBE], f"tutorial-app-fsync-test-{uuid.uuid4().hex[:8]}")
    done = subprocess.run(
        args, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=90, check=False
    )
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout)
    # The container is the node's: Docker's seccomp filter on, no capabilities, the uid.
    assert probe["seccomp"] == "2" and int(probe["cap_eff"], 16) == 0, probe
    assert probe["uid"] == APP_UID
    assert probe["syncer"] == "kernel", done.stderr
    assert syncing.THREAD_NAME not in probe["threads"], "the fsync went to the fallback thread"
    assert (tmp_path / "journal").read_bytes() == b"entry\n"
