"""One attempt at a subtask: compute on a fresh provider, deliver, verify, publish.

Kept apart from the scheduler in `node` because an attempt's life is the
contract's per-subtask steps (hand out, `Compute`, deliver, `Verify`,
abort or discard on failure), while `node` only decides when to start one
and what a finished one means for the task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc

from golem_task_api.node import moves
from golem_task_api.node.client import RequestorAppClient
from golem_task_api.node.failures import NodeFailure
from golem_task_api.node.network import apps, measures, standby, workroot
from golem_task_api.node.network.remote import RemoteResult
from golem_task_api.node.network.results import OutDir
from golem_task_api.node.network.standby import Started
from golem_task_api.node.network.workroot import SubtaskState
from golem_task_api.wire.dirutils import RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from golem_task_api.wire.structs import Subtask

if TYPE_CHECKING:
    from golem_task_api.node.network.config import NetworkConfig

logger = logging.getLogger(__name__)


@dataclass
class Attempt:
    """What one provider made of one subtask; `reason` says why it was not verified."""

    subtask_id: str
    provider: str
    verified: bool = False
    reason: str = ""
    work: float | None = None
    seconds: float = 0.0
    result: Path | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class AttemptRunner:
    """Runs attempts for one task against its requestor, task dir and ledger.

    `keep` is asked at the end of each attempt (not fixed up front) because the
    run may decide to keep work dirs while attempts are still in flight.
    """

    config: NetworkConfig
    requestor: RequestorAppClient
    task_dir: RequestorTaskDir
    ledger: workroot.Ledger | None
    out: OutDir | None
    keep: Callable[[], bool]

    async def run(
        self,
        task_id: str,
        attempt: Attempt,
        subtask: Subtask,
        provider: Started | None,
        computed: Callable[[], None],
    ) -> Attempt:
        """Run one subtask on its fresh provider, deliver the result and verify it.

        `computed` is called once the provider is done with it (it answered, or
        failed, and its result is delivered): as on Golem, the provider is free
        then, while the requestor verifies. No `provider`: `config.remote` runs it.
        """
        started = time.monotonic()
        try:
            try:
                if provider is None:
                    result = await self._compute_remote(task_id, attempt, subtask)
                else:
                    result = await self._compute(task_id, attempt, subtask, provider)
            finally:
                computed()
            attempt.result = result
            if result is not None:
                await self._judge(task_id, attempt, result)
            if attempt.verified:
                await self._publish(attempt)
            return attempt
        finally:
            attempt.seconds = time.monotonic() - started

    async def _publish(self, attempt: Attempt) -> None:
        """The verified result goes to --out (atomically), then the ledger says so."""
        published = ""
        if self.out is not None and attempt.result is not None:
            target = await asyncio.to_thread(
                self.out.publish, attempt.result, attempt.subtask_id, attempt.details
            )
            published = target.name
        workroot.note(
            self.ledger,
            attempt.subtask_id,
            SubtaskState.VERIFIED,
            work=attempt.work,
            published=published,
        )

    async def _compute(
        self, task_id: str, attempt: Attempt, subtask: Subtask, provider: Started
    ) -> Path | None:
        """The result, copied to the requestor; None (reason set, subtask aborted) if it failed."""
        task_dir = self.task_dir
        sid = attempt.subtask_id
        provider_dir = provider.work_dir
        handed = False

        async def compute() -> Path:
            nonlocal handed
            client = await provider.client()
            handed = True  # from here `compute_with` makes sure the provider goes
            return await apps.compute_with(client, provider.service, task_id, sid, subtask.params)

        try:
            moves.hand_out(task_dir, subtask, provider_dir)
            output = await asyncio.wait_for(compute(), self.config.subtask_timeout)
            result = moves.deliver_result(provider_dir, output, task_dir, sid)
            return self._delivered(attempt, result, provider_dir.subtask_inputs_dir, subtask)
        except (NodeFailure, grpc.aio.AioRpcError, OSError, TimeoutError) as exc:
            await self._failed(task_id, attempt, exc)
            return None
        finally:
            if not handed:
                await standby.discard(provider)
            if not self.keep():  # off the loop: the other attempts' calls wait on it
                await asyncio.to_thread(shutil.rmtree, provider_dir, ignore_errors=True)

    async def _compute_remote(
        self, task_id: str, attempt: Attempt, subtask: Subtask
    ) -> Path | None:
        """As `_compute`, on `config.remote`: inputs read here, the result's bytes written here."""
        remote, task_dir, sid = self.config.remote, self.task_dir, attempt.subtask_id
        assert remote is not None
        try:
            inputs = await asyncio.to_thread(_read_resources, task_dir, subtask.resources)
            done = await asyncio.wait_for(
                remote.compute(task_id, sid, subtask.params, inputs), self.config.subtask_timeout
            )
            attempt.provider = f"{attempt.provider} on {done.where}"
            result = await asyncio.to_thread(
                _write_result, task_dir, sid, done, remote.max_result_bytes
            )
            return self._delivered(attempt, result, task_dir.subtask_inputs_dir, subtask)
        except (NodeFailure, OSError, TimeoutError) as exc:
            await self._failed(task_id, attempt, exc)
            return None

    def _delivered(self, attempt: Attempt, result: Path, inputs: Path, subtask: Subtask) -> Path:
        """What the result stands for, and the ledger's note that it was delivered."""
        paths = [inputs / name for name in subtask.resources]
        attempt.details = measures.describe(self.config.describe, result, paths)
        workroot.note(
            self.ledger,
            attempt.subtask_id,
            SubtaskState.DELIVERED,
            result=result.name,
            details=attempt.details,
        )
        return result

    async def _failed(self, task_id: str, attempt: Attempt, exc: BaseException) -> None:
        """The reason kept; the requestor told to put the subtask's work back."""
        attempt.reason = apps.describe(exc)
        with contextlib.suppress(grpc.aio.AioRpcError):
            await self.requestor.abort_subtask(task_id, attempt.subtask_id)

    async def _judge(self, task_id: str, attempt: Attempt, result: Path) -> None:
        """Measure the delivered result and `Verify` it; a failure is discarded or put back."""
        requestor = self.requestor
        sid = attempt.subtask_id
        if self.config.work_meter is not None:
            attempt.work = measures.measure(self.config.work_meter, result)
        try:
            verdict, reason = await requestor.verify(task_id, sid)
        except grpc.aio.AioRpcError as exc:
            verdict, reason = VerifyResult.INCONCLUSIVE, f"Verify failed: {apps.describe(exc)}"
        logger.info("%s: Verify -> %s (%s)", sid, VerifyResult(verdict).name, reason)
        if verdict == VerifyResult.SUCCESS:
            attempt.verified = True
        elif verdict == VerifyResult.FAILURE:
            attempt.reason = f"rejected: {reason}"  # the app put the work back
        else:
            attempt.reason = f"{VerifyResult(verdict).name.lower()}: {reason}"
            with contextlib.suppress(grpc.aio.AioRpcError):
                await requestor.discard_subtasks(task_id, [sid])


def _read_resources(task_dir: RequestorTaskDir, names: list[str]) -> dict[str, bytes]:
    """The subtask's resources, by name (path-checked), to ship to a remote provider."""
    inputs: dict[str, bytes] = {}
    for name in names:
        moves.check_plain_name(name, "subtask resource")
        source = moves.inside(task_dir.subtask_inputs_dir, name, "subtask resource")
        if not source.is_file():
            raise moves.FileMoveError(f"the app named resource {name!r} but did not write it")
        inputs[name] = source.read_bytes()
    return inputs


def _write_result(task_dir: RequestorTaskDir, sid: str, done: RemoteResult, limit: int) -> Path:
    """Bytes from another machine into `subtask_outputs/<sid>/`, name and size checked."""
    moves.check_plain_name(sid, "subtask id")
    moves.check_plain_name(done.name, "result name")
    if len(done.data) > limit:
        raise moves.FileMoveError(f"result {done.name!r} from {done.where} is over {limit} bytes")
    target_dir = task_dir.subtask_outputs_dir(sid)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / done.name
    target.write_bytes(done.data)
    return target
