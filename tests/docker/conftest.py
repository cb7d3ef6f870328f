"""The Docker test environment: the app image, run the way a Golem node runs it.

Every container gets a bridge network with its port published on
127.0.0.1 (as the node runs it), the work dir at `/golem/work`,
`--user` a uid:gid the image does not know, a read-only root file system
(so the app can write nothing outside the work dir) and exactly the command
a node gives: `requestor PORT` / `provider PORT`. Every work dir holds TLS
files, so the apps serve mutual TLS.

The tests run as root here, standing in for a node whose user is
`APP_UID`; whatever the "node" writes into a work dir is handed to that
uid, as it would be owned by the node's user.

`make test-docker` builds the image first (scripts/docker-test-env) and sets
TUTORIAL_APP_DOCKER_REQUIRED=1, so a missing engine or image fails there;
anywhere else these tests are skipped with the reason.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.docker.support import (
    HEALTH_TIMEOUT,
    INPUT_TEXT,
    DockerLifecycleUtil,
    docker,
    docker_service,
)


@pytest.fixture
def make_util(tmp_path: Path, docker_image: str) -> Iterator[Callable[[], DockerLifecycleUtil]]:
    """Lifecycle utils with TLS on; containers a failed test leaves behind are removed."""
    prefix = f"tutorial-app-test-{uuid.uuid4().hex[:8]}"
    count = 0

    def make() -> DockerLifecycleUtil:
        nonlocal count
        count += 1
        return DockerLifecycleUtil(
            tmp_path / f"work{count}",
            functools.partial(docker_service, name_prefix=prefix),
            health_timeout=HEALTH_TIMEOUT,
            use_tls=True,
        )

    yield make
    leftovers = docker("ps", "-aq", "--filter", f"name={prefix}").stdout.split()
    if leftovers:
        docker("rm", "-f", *leftovers)


@pytest.fixture
def input_file(tmp_path: Path) -> Path:
    path = tmp_path / "input.txt"
    path.write_text(INPUT_TEXT, encoding="utf-8")
    return path
