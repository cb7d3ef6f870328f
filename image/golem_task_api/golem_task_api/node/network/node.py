"""A local stand-in for a Golem node: one requestor, short-lived providers.

`run_task` does for one task what a node does on the Golem network: it
starts the requestor app, creates the task, hands subtasks to up to N
providers at once (each a fresh provider process with its own work dir),
moves files between them as the contract says, verifies, retries failed
attempts, and shuts everything down, whether it finishes, fails or is
interrupted (the coroutine is cancelled on Ctrl-C).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc

from golem_task_api.node import moves
from golem_task_api.node.client import RequestorAppClient
from golem_task_api.node.failures import NodeFailure
from golem_task_api.node.network import apps, measures, results, resume, scratch, workroot
from golem_task_api.node.network.attempt import Attempt, AttemptRunner
from golem_task_api.node.network.config import NetworkConfig as NetworkConfig  # re-exported
from golem_task_api.node.network.report import (
    NullObserver,
    Observer,
    Report,
    RunInterrupted,
    Stats,
    TaskStatus,
)
from golem_task_api.node.network.results import OutDir
from golem_task_api.node.network.standby import NoStandby, Standby
from golem_task_api.node.network.workroot import SubtaskState
from golem_task_api.node.services.base import ServiceFactory as ServiceFactory  # re-exported
from golem_task_api.wire.dirutils import RequestorDir, RequestorTaskDir

logger = logging.getLogger(__name__)

#: Providers started ahead of their subtasks (see `standby`), at most one per slot.
STANDBY_AHEAD = 2


class _GiveUp(NodeFailure):
    """Too many failed attempts, or the app has nothing left but not all is verified."""


class LocalNetwork:
    def __init__(self, config: NetworkConfig, observer: Observer | None = None) -> None:
        self.config = config
        self.observer: Observer = observer or NullObserver()
        self.stats = Stats(
            subtasks=config.subtasks,
            work=0.0 if config.work_unit else None,
            expected_work=config.expected_work,
        )
        self.report = Report(
            config.task_id, TaskStatus.RUNNING, self.stats, config.work_unit, config.work_label
        )
        given_root = config.work_root is not None and not config.temporary_root
        self._keep = config.keep_work or given_root
        self._root = config.work_root
        self._task_dir: RequestorTaskDir | None = None
        self._requestor: RequestorAppClient | None = None
        self._seq = 0
        self._ledger: workroot.Ledger | None = None
        self._out: OutDir | None = None
        self._providers: scratch.ProviderDirs | None = None

    async def run(self) -> Report:
        config, report = self.config, self.report
        self._root = root = config.work_root or Path(tempfile.mkdtemp(prefix="golem-network-"))
        self._ledger = workroot.Ledger.open(root)
        in_memory = config.providers_in_memory and not self._keep
        self._providers = providers = scratch.provider_dirs(root, in_memory)
        out_created = config.out_dir is not None and not config.out_dir.exists()
        if config.out_dir is not None:
            self._out = OutDir(config.out_dir, config.task_id)
        try:
            report.status = await self._run_requestor(report)
        except asyncio.CancelledError:
            report.status = TaskStatus.INTERRUPTED
            report.error = "interrupted"
            self._keep = True  # nothing verified or in progress is thrown away
            raise
        except RunInterrupted as exc:
            report.status, report.error = TaskStatus.INTERRUPTED, str(exc)
            self._keep = True
        except (NodeFailure, grpc.aio.AioRpcError, OSError) as exc:
            report.status, report.error = TaskStatus.FAILED, apps.describe(exc)
        except Exception as exc:  # a bug: say so, with the traceback in the log
            logger.error("the local network failed", exc_info=True)
            report.status, report.error = TaskStatus.FAILED, f"internal error: {exc!r}"
        finally:
            self.stats.ended_at = time.monotonic()
            if self._out is not None:
                report.outputs = self._out.files() if self._out.manifest.exists() else []
                report.out_dir = config.out_dir
                if report.status is TaskStatus.FAILED and not report.outputs:
                    results.withdraw(self._out.out_dir, config.task_id, out_created)
            providers.remove()  # in memory: never needed to resume
            if self._keep:
                report.work_root = root
                report.task_dir = self._task_dir
            else:
                shutil.rmtree(root, ignore_errors=True)
            self.observer.finished(report)
        return report

    async def _run_requestor(self, report: Report) -> TaskStatus:
        assert self._root is not None
        config = self.config
        work_dir = self._root / "requestor"
        work_dir.mkdir(parents=True, exist_ok=True)
        if config.tls:
            await asyncio.to_thread(apps.write_tls, work_dir)
        service = config.make_service(work_dir)
        logger.info("starting the requestor app in %s (TLS %s)", work_dir, config.tls)
        benchmark = self._start_benchmark()
        self._requestor = await apps.start_requestor(service)
        try:
            return await self._run_task(report, RequestorDir(work_dir))
        finally:
            if benchmark is not None:
                benchmark.cancel()
            await apps.shutdown_quietly(self._requestor, service)

    async def _run_task(self, report: Report, work_dir: RequestorDir) -> TaskStatus:
        config, requestor = self.config, self._requestor
        assert requestor is not None
        task_id = config.task_id
        self._task_dir = task_dir = work_dir.task_dir(task_id)
        assert self._ledger is not None
        if not self._ledger.task_created:  # also a resumed run stopped before CreateTask
            try:
                task = await moves.create_task(
                    requestor, task_dir, config.subtasks, config.task_params, config.inputs
                )
            except grpc.aio.AioRpcError as exc:
                if not config.resume:  # stopped just after CreateTask: the app has the task
                    raise
                logger.info("CreateTask on resume: %s; carrying on", apps.describe(exc))
            else:
                logger.info("created task %s: env %s %s", task_id, task.env_id, task.prerequisites)
            self._ledger.mark_created()
        if self._out is not None:
            task_info = {"params": config.task_params, "subtasks": config.subtasks}
            await asyncio.to_thread(self._out.start, config.inputs, task_info)
        if config.resume:
            await resume.settle_leftovers(
                requestor, task_id, task_dir, self._ledger, self._out, self.observer
            )
            self.stats.verified = len(self._ledger.verified())
            self._seq = len(self._ledger.entries)
        self.stats.started_at = time.monotonic()
        self.observer.task_created(task_id, self.stats)
        try:
            await self._schedule(task_id)
        except _GiveUp:
            with contextlib.suppress(grpc.aio.AioRpcError):
                await requestor.abort_task(task_id)
            raise
        if self.stats.verified < config.subtasks:
            raise _GiveUp(
                f"the app has no more subtasks but only {self.stats.verified} of "
                f"{config.subtasks} were verified"
            )
        return TaskStatus.FINISHED

    def _start_benchmark(self) -> asyncio.Task[None] | None:
        if self.config.expected_work is None:
            return None
        return measures.start_benchmark(self.stats, self.config.benchmark)

    async def _schedule(self, task_id: str) -> None:
        requestor, task_dir, providers = self._requestor, self._task_dir, self._providers
        assert requestor is not None and task_dir is not None and providers is not None
        attempts = AttemptRunner(
            self.config, requestor, task_dir, self._ledger, self._out, lambda: self._keep
        )
        ahead = 0 if self.config.remote is None else self.config.remote.ahead
        free = [f"provider-{n}" for n in range(self.config.providers + ahead, 0, -1)]
        # A provider is free again once it has delivered (`computed`), while the
        # requestor verifies: so a slot's next NextSubtask, hand-out and start
        # overlap its last Verify (the requestor's fsync) instead of waiting.
        computing: dict[asyncio.Future[None], str] = {}
        running: set[asyncio.Task[Attempt]] = set()
        loop = asyncio.get_running_loop()
        standby = (
            Standby(
                providers.root,
                self.config.make_service,
                self.config.tls,
                ahead=min(self.config.providers, STANDBY_AHEAD),
                new_id=self._new_subtask_id,
            )
            if self.config.remote is None
            else NoStandby(self._new_subtask_id)
        )
        try:
            while True:
                while free and await requestor.has_pending_subtasks(task_id):
                    subtask_id = standby.next_id()
                    provider = free.pop()
                    # Noted before asking: a stop in between leaves a subtask to abort.
                    workroot.note(self._ledger, subtask_id, SubtaskState.STARTED, provider=provider)
                    subtask = await requestor.next_subtask(task_id, subtask_id, provider)
                    if subtask is None:
                        workroot.note(self._ledger, subtask_id, SubtaskState.UNUSED)
                        await standby.drop(subtask_id)
                        free.append(provider)
                        break
                    logger.info("%s -> %s: %s", subtask_id, provider, subtask.resources)
                    attempt = Attempt(subtask_id, provider)
                    slot = loop.create_future()
                    computing[slot] = provider
                    started = standby.take(subtask_id)
                    job = asyncio.create_task(
                        attempts.run(task_id, attempt, subtask, started, _releaser(slot))
                    )
                    running.add(job)
                    # the display's: providers at work (not attempts queued ahead)
                    self.stats.running = min(len(computing), self.config.providers)
                    self.observer.subtask_started(subtask_id, provider)
                    standby.keep_ahead(self._still_to_hand_out(len(running)))
                if not running:
                    return
                waiting: set[asyncio.Future[Any]] = {*computing, *running}
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                for slot in [slot for slot in computing if slot in done]:
                    free.append(computing.pop(slot))
                for job in [job for job in running if job in done]:
                    running.discard(job)
                    self._record(job.result())
                self.stats.running = min(len(computing), self.config.providers)
        finally:
            try:
                for job in running:
                    job.cancel()
                if running:
                    await asyncio.gather(*running, return_exceptions=True)
                self.stats.running = 0
            finally:  # also when a second Ctrl-C cuts the wait short
                await standby.close()

    def _new_subtask_id(self) -> str:
        self._seq += 1
        return f"sub-{self._seq:04d}-{uuid.uuid4().hex[:6]}"

    def _still_to_hand_out(self, in_attempts: int) -> int:
        """Subtasks neither verified nor in an attempt (retries may add some later)."""
        return max(0, self.config.subtasks - self.stats.verified - in_attempts)

    def _record(self, attempt: Attempt) -> None:
        stats = self.stats
        if attempt.verified:
            stats.verified += 1
            stats.verified_now += 1
            if attempt.work is not None and stats.work is not None:
                stats.work += attempt.work
            self.observer.subtask_verified(attempt.subtask_id, attempt.provider, attempt.seconds)
            return
        workroot.note(self._ledger, attempt.subtask_id, SubtaskState.FAILED)
        stats.failed_attempts += 1
        will_retry = stats.failed_attempts <= self.config.max_retries
        self.observer.subtask_failed(
            attempt.subtask_id, attempt.provider, attempt.reason, will_retry
        )
        if not will_retry:
            raise _GiveUp(
                f"{stats.failed_attempts} failed attempts (limit {self.config.max_retries}); "
                f"last: {attempt.reason}"
            )
        stats.retried += 1


def _releaser(slot: asyncio.Future[None]) -> Callable[[], None]:
    def release() -> None:
        if not slot.done():
            slot.set_result(None)

    return release


async def run_task(config: NetworkConfig, observer: Observer | None = None) -> Report:
    """Run one task to the end on the local network and report how it went."""
    return await LocalNetwork(config, observer).run()
