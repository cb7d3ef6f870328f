"""What one attempt does on a Dask worker: a fresh provider, one `Compute`, the bytes back.

Runs inside the worker process (a coroutine on its event loop); the provider
comes from the run's `standby.WorkerStandby` on this worker. Nothing
here may assume the node's file system: the inputs arrive as bytes, the
provider gets a fresh dir under the worker's own local directory, and the
result leaves as bytes, refused here if it is over the app's limit.
Failures come back as a reason naming this worker, never as a hang.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from golem_task_api.node import moves as nodemoves
from golem_task_api.node.cluster.runtime import AppMissing, Runtime
from golem_task_api.node.network import apps
from golem_task_api.wire.dirutils import ProviderTaskDir

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AttemptSpec:
    task_id: str
    subtask_id: str
    params: dict[str, Any]
    inputs: dict[str, bytes]
    runtime: Runtime
    #: The run's `WorkerStandby` plugin on the workers.
    standby: str = ""
    #: Claim the id first (`claim`): the scheduler may run the task again.
    claim: bool = True


@dataclass(frozen=True)
class AttemptOutcome:
    """The result file's name and bytes, or `error`; `worker` is where it ran."""

    worker: str
    address: str
    name: str = ""
    data: bytes = b""
    error: str = ""
    timings: dict[str, float] = field(default_factory=dict)


async def run_attempt(spec: AttemptSpec) -> AttemptOutcome:
    """The Dask task of one attempt (submitted with retries=0, keyed by subtask id).

    The provider comes from the run's `WorkerStandby` on this worker, started
    ahead; the claim and the input bytes go on meanwhile.
    """
    from distributed import get_worker

    from golem_task_api.node.cluster.standby import release, standby_on

    clock = _Clock()
    worker = get_worker()
    where, address = f"{worker.name} ({worker.address})", worker.address
    try:
        standby = await standby_on(worker, spec.standby, spec.runtime)
        started = await standby.take()
    except AppMissing as exc:  # nothing claimed: the node may send it elsewhere, same id
        return AttemptOutcome(where, address, error=f"app missing on worker {where}: {exc}")
    claiming = asyncio.ensure_future(
        claim(worker.scheduler, spec.subtask_id, where) if spec.claim else _unclaimed()
    )
    work_dir, handed = started.work_dir, False
    try:
        await asyncio.to_thread(_write_inputs, work_dir, spec.inputs)
        earlier = await claiming
        clock.lap("claim+inputs")
        if earlier is not None:
            return AttemptOutcome(
                where,
                address,
                error=f"the engine re-ran attempt {spec.subtask_id} after {earlier} was lost; "
                "refused (the node hands the part out again under a new id)",
            )
        client = await started.client()
        clock.lap("start")
        handed = True  # from here `compute_with` makes sure the provider goes
        output = await apps.compute_with(
            client, started.service, spec.task_id, spec.subtask_id, spec.params
        )
        clock.lap("compute")
        limit = spec.runtime.max_result_bytes
        name, data = await asyncio.to_thread(read_result, work_dir, output, limit)
        clock.lap("result")
        return AttemptOutcome(where, address, name=name, data=data, timings=clock.laps)
    except (
        grpc.aio.AioRpcError,
        apps.ProviderCrashed,
        apps.AppStartError,
        nodemoves.FileMoveError,
        OSError,
        ResultTooLarge,
    ) as exc:
        return AttemptOutcome(where, address, error=f"on worker {where}: {apps.describe(exc)}")
    finally:
        claiming.cancel()
        if handed:
            await asyncio.to_thread(shutil.rmtree, work_dir, ignore_errors=True)
        else:
            await release(started)


async def claim(scheduler: Any, subtask_id: str, where: str) -> str | None:
    """Mark the attempt as started here; the worker that started it before, if any.

    Dask runs a task again when its worker dies (up to the scheduler's
    `allowed-failures`); the node must see that attempt fail instead. Not atomic,
    and need not be: a re-run only starts after the first worker is gone.
    """
    key = ["golem-attempts", subtask_id]
    earlier = await scheduler.get_metadata(keys=key, default=None)
    if earlier is not None:
        return str(earlier)
    await scheduler.set_metadata(keys=key, value=where)
    return None


async def _unclaimed() -> None:
    """No claim: the scheduler never runs a task twice (`allowed-failures` 0)."""


class ResultTooLarge(Exception):
    """The provider's result is over the app's limit: refused here, never shipped."""


class _Clock:
    """Milliseconds per step of an attempt on the worker (the node logs them at debug)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.laps[step] = round((now - self._last) * 1000, 2)
        self._last = now


def _write_inputs(work_dir: ProviderTaskDir, inputs: dict[str, bytes]) -> None:
    target = work_dir.subtask_inputs_dir
    target.mkdir(parents=True, exist_ok=True)
    for name, data in inputs.items():
        nodemoves.check_plain_name(name, "subtask resource")
        (target / name).write_bytes(data)


def read_result(work_dir: Path, output: str | Path, limit: int) -> tuple[str, bytes]:
    """The result's name and bytes; `ResultTooLarge` without reading it if over `limit`."""
    source = nodemoves.inside(work_dir, output, "result path")
    if not source.is_file():
        raise nodemoves.FileMoveError(f"the provider's result {str(output)!r} is not a file")
    with source.open("rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        size = source.stat().st_size
        raise ResultTooLarge(
            f"result {source.name!r} is {size} bytes, over the app's limit of {limit}; "
            "refused on the worker"
        )
    return source.name, data
