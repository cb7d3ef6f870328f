"""A real TLS Dask cluster per test: a scheduler and two workers that cannot see the node."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.support import DaskCluster, can_unshare, make_cluster, stop_leaving_nothing

pytestmark = pytest.mark.slow

if not can_unshare():  # pragma: no cover - CI and this machine run as root
    pytest.skip("the cluster tests need root and unshare(1)", allow_module_level=True)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[DaskCluster]:
    """Scheduler plus workers w-0 and w-1, each in its own dir, the node's dir hidden."""
    dask = make_cluster(tmp_path)
    try:
        dask.start_worker("w-0")
        dask.start_worker("w-1")
        dask.wait_for_workers(2)
        yield dask
    finally:
        stop_leaving_nothing(dask, tmp_path)


@pytest.fixture
def bare_cluster(tmp_path: Path) -> Iterator[DaskCluster]:
    """A scheduler only: the test starts the workers it needs."""
    dask = make_cluster(tmp_path)
    try:
        yield dask
    finally:
        stop_leaving_nothing(dask, tmp_path)


@pytest.fixture
def node(tmp_path: Path) -> Path:
    """The node's side (work root, --out, input): hidden from every worker."""
    node = tmp_path / "node"
    node.mkdir(exist_ok=True)
    (node / "input.txt").write_text("Proofs of work on a Dask cluster.\n", encoding="utf-8")
    return node
