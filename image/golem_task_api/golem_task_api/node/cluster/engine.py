"""The node's end of a Dask cluster: each attempt one Dask task, awaited on the node's loop.

Dask's synchronous `Client` runs its own I/O thread; an attempt is submitted
from the node's loop (a non-blocking call) and its end comes back through
the future's done-callback. Every task is keyed by the node's subtask id and
submitted with `retries=0`; a task Dask would run again after its worker died
is refused on the worker (`worker.claim`), so a provider never runs twice
under one id: the node aborts the subtask and hands the part out anew.

Attempts queued ahead (`ahead`): the node hands out up to `--providers`
more attempts than it computes, and each waits in its worker's queue for a
free thread, so a slot's next subtask starts on the worker the moment the
last one ends instead of a node -> scheduler -> worker round trip later.
Only while the cluster's threads are no more than `--providers` (they, not
the node, then bound what computes at once); otherwise an attempt beyond
`--providers` waits here until one ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from golem_task_api.node.cluster.runtime import Runtime
from golem_task_api.node.cluster.worker import AttemptOutcome, AttemptSpec, run_attempt
from golem_task_api.node.network.remote import RemoteFailed, RemoteResult
from golem_task_api.node.network.report import RunInterrupted

if TYPE_CHECKING:
    from distributed import Client, Future
    from distributed.security import Security

logger = logging.getLogger(__name__)

#: How long connecting to a scheduler may take before the run gives up on it.
CONNECT_TIMEOUT = 10.0
#: An outcome error that starts so means the worker cannot run the app at all.
APP_MISSING = "app missing on worker"
#: How long the cluster's thread count is trusted before it is asked again.
THREADS_TTL = 2.0


class ClusterUnreachable(Exception):
    """No scheduler answered at the address, or it refused our certificate."""


class SchedulerLost(RunInterrupted):
    """The scheduler went away mid-run: the run stops like an interruption."""


class ClusterProviders:
    """`NetworkConfig.remote` on a Dask cluster (see `network.remote.RemoteProviders`)."""

    def __init__(self, client: Client, address: str, runtime: Runtime) -> None:
        self.client = client
        self.address = address
        self.runtime = runtime
        self.max_result_bytes = runtime.max_result_bytes
        #: Workers that showed they cannot start the app: no more attempts go there.
        self.excluded: dict[str, str] = {}
        self._closers: list[Callable[[], None]] = []
        self.standby = f"golem-standby-{uuid.uuid4().hex[:12]}"
        #: Attempts computing at once at most (`--providers`); none beyond it is queued
        #: ahead unless `limit` says so.
        self.providers = 0
        self.ahead = 0
        self._submitted = 0
        self._ended: asyncio.Event | None = None
        self._threads = (0.0, 0)  # (when asked, the cluster's threads)
        #: Whether attempts must claim their id (the scheduler may run a task again).
        self.claim = _reruns(client)
        self._start_standby()

    def limit(self, providers: int) -> None:
        """At most `providers` attempts compute at once; as many more queue ahead if the
        cluster's own threads bound the computing to that (see the module's docstring)."""
        self.providers = providers
        self.ahead = providers if 0 < self._cluster_threads() <= providers else 0

    def _start_standby(self) -> None:
        """Every worker (and any that joins) keeps providers of this run started ahead."""
        from golem_task_api.node.cluster.standby import WorkerStandby

        try:
            self.client.register_plugin(WorkerStandby(self.standby, self.runtime), self.standby)
        except Exception as exc:  # attempts add it on their worker themselves
            logger.info("could not register the providers' standby on the workers: %s", exc)

    @classmethod
    def connect(
        cls, address: str, security: Security, runtime: Runtime, timeout: float = CONNECT_TIMEOUT
    ) -> ClusterProviders:
        """Connect (mutual TLS); `ClusterUnreachable` with one line if that fails."""
        from distributed import Client

        try:
            client = Client(
                address,
                security=security,
                timeout=timeout,
                set_as_default=False,
                direct_to_workers=False,
            )
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterUnreachable(
                f"cannot reach the cluster scheduler at {address} with mutual TLS "
                f"(down, or it refused our certificate?): {exc}"
            ) from exc
        return cls(client, address, runtime)

    def on_close(self, closer: Callable[[], None]) -> None:
        self._closers.append(closer)

    def close(self) -> None:
        """Disconnect, then stop whatever was started for this cluster (never raises)."""
        with contextlib.suppress(Exception):
            if self.client.status == "running":
                self.client.unregister_worker_plugin(self.standby)
        with contextlib.suppress(Exception):
            self.client.close(timeout=5)
        for closer in reversed(self._closers):
            try:
                closer()
            except Exception as exc:
                logger.warning("could not stop part of the cluster: %s", exc)

    def workers(self) -> dict[str, str]:
        """Address -> name of the workers the scheduler knows now."""
        info = self.client.scheduler_info(n_workers=-1).get("workers", {})
        return {address: str(worker.get("name", address)) for address, worker in info.items()}

    async def compute(
        self, task_id: str, subtask_id: str, params: dict[str, Any], inputs: dict[str, bytes]
    ) -> RemoteResult:
        spec = AttemptSpec(
            task_id, subtask_id, params, inputs, self.runtime, self.standby, self.claim
        )
        sent = time.perf_counter()
        await self._turn()
        self._submitted += 1
        try:
            outcome = await self._run(spec, f"golem-attempt-{subtask_id}")
            if outcome.error.startswith(APP_MISSING) and outcome.address in self.excluded:
                # Queued on a worker already known to lack the app: no provider ran
                # and nothing was claimed, so the attempt goes elsewhere, same id.
                outcome = await self._run(spec, f"golem-attempt-{subtask_id}-moved")
        finally:
            self._submitted -= 1
            if self._ended is not None:
                self._ended.set()
        if logger.isEnabledFor(logging.DEBUG):
            total = (time.perf_counter() - sent) * 1000
            logger.debug(
                "%s on %s: %.1f ms, on the worker %s",
                subtask_id,
                outcome.worker,
                total,
                outcome.timings,
            )
        if outcome.error:
            if outcome.error.startswith(APP_MISSING):
                self.excluded[outcome.address] = outcome.error
            raise RemoteFailed(outcome.error)
        return RemoteResult(outcome.name, outcome.data, outcome.worker)

    async def _run(self, spec: AttemptSpec, key: str) -> AttemptOutcome:
        future = self.client.submit(
            run_attempt,
            spec,
            key=key,
            pure=False,
            retries=0,
            workers=self._allowed(),
            allow_other_workers=False,
        )
        try:
            return await self._outcome(future)
        except asyncio.CancelledError:  # a timeout or the run's end: stop it on the worker
            with contextlib.suppress(Exception):
                await asyncio.shield(asyncio.to_thread(future.cancel))
            raise

    async def _turn(self) -> None:
        """Wait while `--providers` attempts are out and the cluster could run one more."""
        while self.providers and self._submitted >= self.providers:
            if self.ahead and await asyncio.to_thread(self._cluster_threads) <= self.providers:
                return
            self._ended = self._ended or asyncio.Event()
            self._ended.clear()
            await self._ended.wait()

    def _cluster_threads(self) -> int:
        """Threads of the workers that may get attempts (asked at most every `THREADS_TTL`)."""
        asked, threads = self._threads
        if time.monotonic() - asked > THREADS_TTL:
            counts = self.client.nthreads()
            threads = sum(n for address, n in counts.items() if address not in self.excluded)
            self._threads = (time.monotonic(), threads)
        return threads

    def _allowed(self) -> list[str] | None:
        if not self.excluded:
            return None
        allowed = [address for address in self.workers() if address not in self.excluded]
        if not allowed:
            reasons = "; ".join(self.excluded.values())
            raise RemoteFailed(f"no worker of the cluster can run the app ({reasons})")
        return allowed

    async def _outcome(self, future: Future[Any]) -> AttemptOutcome:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def finished(_: Any) -> None:  # on Dask's callback thread
            loop.call_soon_threadsafe(_settle, done)

        future.add_done_callback(finished)
        await done
        status = future.status
        if status == "finished":
            outcome = await asyncio.to_thread(future.result)
            if not isinstance(outcome, AttemptOutcome):
                raise RemoteFailed(f"the cluster returned {type(outcome).__name__}, not a result")
            return outcome
        if status == "error":
            exc = await asyncio.to_thread(future.exception)
            raise RemoteFailed(_engine_failure(exc))
        if self.client.status != "running":
            raise SchedulerLost(
                f"lost the cluster scheduler at {self.address} ({self.client.status})"
            )
        raise RemoteFailed(f"the cluster cancelled the attempt ({status})")


def _reruns(client: Client) -> bool:
    """Whether the scheduler may run a task again after its worker died.

    With `allowed-failures` 0 (as `local:N` sets it) it never does, and an
    attempt needs no claim (two scheduler round trips); if the scheduler will
    not say (it refuses to run our code), assume it may.
    """
    try:
        allowed = client.run_on_scheduler(_allowed_failures)
    except Exception as exc:
        logger.info("cannot ask the scheduler whether it re-runs tasks (%s): claiming", exc)
        return True
    return not (isinstance(allowed, int) and allowed == 0)


def _allowed_failures(dask_scheduler: Any) -> Any:
    return getattr(dask_scheduler, "allowed_failures", None)


def _settle(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_result(None)


def _engine_failure(exc: BaseException | None) -> str:
    from distributed.scheduler import KilledWorker

    if isinstance(exc, KilledWorker):
        return f"worker {exc.last_worker.address} died during the attempt"
    return f"the cluster failed the attempt: {type(exc).__name__}: {exc}"
