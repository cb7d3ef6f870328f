"""`NodeLifecycle`: the node's side of a task, for tests, over a service factory.

It works with any service factory (a local process, a Docker container),
so an app's tests drive the real entry point exactly as a node would:
prepare the requestor's task dir, `CreateTask`, hand subtasks to fresh
providers, copy results back and `Verify` (the moves are `moves`', the
local network's). The fine-grained methods let tests script discard, abort
and shutdown scenarios; `run_task` does the whole loop.
`TaskLifecycleUtil` adds 0.24's methods on top.
"""

import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from golem_task_api.node import moves
from golem_task_api.node.client import ProviderAppClient, RequestorAppClient
from golem_task_api.node.ports import free_port
from golem_task_api.node.services.base import ServiceFactory
from golem_task_api.wire.dirutils import ProviderTaskDir, RequestorDir, RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from golem_task_api.wire.structs import Subtask, Task


@dataclass(frozen=True)
class SubtaskVerdict:
    subtask_id: str
    result: VerifyResult
    reason: str


@dataclass
class TaskRun:
    """What happened to one task: its `CreateTask` reply and every verdict, in order."""

    task_id: str
    task: Task
    verdicts: list[SubtaskVerdict] = field(default_factory=list)

    @property
    def subtask_ids(self) -> list[str]:
        return [verdict.subtask_id for verdict in self.verdicts]


def _new_id() -> str:
    return uuid.uuid4().hex


class NodeLifecycle:
    """Drive one requestor (and short-lived providers) under `work_root`.

    Layout: `work_root/requestor/` is the requestor's work dir;
    `work_root/provider/<subtask_id>/` is each provider's task dir. With
    `use_tls` every work dir gets fresh certificates (needs `cryptography`).
    """

    def __init__(
        self,
        work_root: Path,
        service_factory: ServiceFactory | None = None,
        *,
        health_timeout: float = 15.0,
        use_tls: bool = False,
    ) -> None:
        self.work_root = Path(work_root)
        self.service_factory = service_factory
        self.health_timeout = health_timeout
        self.use_tls = use_tls
        self.requestor_work_dir = RequestorDir(self.work_root / "requestor")
        self.provider_work_root = self.work_root / "provider"
        self.requestor: RequestorAppClient | None = None
        self.task_id: str | None = None
        self._providers: list[ProviderAppClient] = []

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.shutdown()

    async def shutdown(self) -> None:
        """Stop every app this util started (politely first)."""
        providers, self._providers = self._providers, []
        for provider in providers:
            await provider.shutdown()
        if self.requestor is not None:
            requestor, self.requestor = self.requestor, None
            await requestor.shutdown()

    # -- requestor -------------------------------------------------------

    def _prepare_work_dir(self, work_dir: Path) -> None:
        work_dir.mkdir(parents=True, exist_ok=True)
        if self.use_tls:
            from golem_task_api.node.certs import write_tls_files

            write_tls_files(work_dir)

    async def start_requestor(self) -> RequestorAppClient:
        if self.requestor is None:
            self._prepare_work_dir(self.requestor_work_dir)
            service = self._factory()(self.requestor_work_dir)
            self.requestor = await RequestorAppClient.create(
                service, free_port(), health_timeout=self.health_timeout
            )
        return self.requestor

    def _factory(self) -> ServiceFactory:
        if self.service_factory is None:
            raise RuntimeError("this util was made without a service factory")
        return self.service_factory

    def _requestor(self) -> RequestorAppClient:
        if self.requestor is None:
            raise RuntimeError("start_requestor() first")
        return self.requestor

    def _task(self, task_id: str | None) -> str:
        task_id = task_id or self.task_id
        if task_id is None:
            raise RuntimeError("create_task() first or pass task_id")
        return task_id

    def task_dir(self, task_id: str | None = None) -> RequestorTaskDir:
        return self.requestor_work_dir.task_dir(self._task(task_id))

    def prepare_task_dir(self, task_id: str, resources: Iterable[Path] = ()) -> RequestorTaskDir:
        """Create the four directories and copy the resources into `task_inputs`."""
        task_dir = self.requestor_work_dir.task_dir(task_id)
        moves.prepare_task(task_dir, resources)
        return task_dir

    async def _create_task(
        self,
        task_params: dict[str, Any],
        max_subtasks_count: int,
        resources: Iterable[Path],
        task_id: str | None,
    ) -> Task:
        """Prepare the task dir and call `CreateTask`; the id becomes the default."""
        requestor = self._requestor()
        # Through `prepare_task_dir` (`moves.prepare_task`): subclasses may extend it.
        task_dir = self.prepare_task_dir(task_id or _new_id(), resources)
        task = await requestor.create_task(task_dir.name, max_subtasks_count, task_params)
        self.task_id = task_dir.name
        return task

    async def next_subtask(
        self,
        *,
        task_id: str | None = None,
        subtask_id: str | None = None,
        opaque_node_id: str = "",
    ) -> tuple[str, Subtask] | None:
        """Ask for a subtask; `(subtask_id, subtask)` or None if there is none now."""
        subtask_id = subtask_id or _new_id()
        subtask = await self._requestor().next_subtask(
            self._task(task_id), subtask_id, opaque_node_id
        )
        return None if subtask is None else (subtask_id, subtask)

    async def has_pending_subtasks(self, task_id: str | None = None) -> bool:
        return await self._requestor().has_pending_subtasks(self._task(task_id))

    async def verify(
        self, subtask_id: str, *, task_id: str | None = None
    ) -> tuple[VerifyResult, str]:
        return await self._requestor().verify(self._task(task_id), subtask_id)

    async def discard_subtasks(
        self, subtask_ids: list[str], *, task_id: str | None = None
    ) -> list[str]:
        return await self._requestor().discard_subtasks(self._task(task_id), subtask_ids)

    async def abort_task(self, task_id: str | None = None) -> None:
        await self._requestor().abort_task(self._task(task_id))

    async def abort_subtask(self, subtask_id: str, *, task_id: str | None = None) -> None:
        await self._requestor().abort_subtask(self._task(task_id), subtask_id)

    async def run_requestor_benchmark(self) -> float:
        return await self._requestor().run_benchmark()

    # -- provider --------------------------------------------------------

    def prepare_provider_dir(
        self, subtask_id: str, resources: Iterable[str] = (), *, task_id: str | None = None
    ) -> ProviderTaskDir:
        """A fresh provider task dir holding the named files from requestor `subtask_inputs`."""
        moves.check_plain_name(subtask_id, "subtask id")
        provider_dir = ProviderTaskDir(self.provider_work_root / subtask_id)
        if provider_dir.exists():
            shutil.rmtree(provider_dir)
        self._prepare_work_dir(provider_dir)
        moves.hand_out(self.task_dir(task_id), Subtask({}, list(resources)), provider_dir)
        return provider_dir

    async def start_provider_in(self, work_dir: Path) -> ProviderAppClient:
        """Start a provider app; the caller sends its one request (or `Shutdown`)."""
        self._prepare_work_dir(work_dir)
        service = self._factory()(work_dir)
        provider = await ProviderAppClient.create(
            service, free_port(), health_timeout=self.health_timeout
        )
        self._providers.append(provider)
        return provider

    async def _finish_provider(self, provider: ProviderAppClient, timeout: float) -> None:
        """The provider exits by itself after answering; make sure it did."""
        try:
            await provider.service.wait_until_shutdown_complete(timeout)
        finally:
            if provider in self._providers:
                self._providers.remove(provider)
            await provider.shutdown()

    async def compute_remote(
        self,
        subtask_id: str,
        params: dict[str, Any],
        resources: Iterable[str] = (),
        *,
        task_id: str | None = None,
        exit_timeout: float = 10.0,
    ) -> Path:
        """Run one subtask on a fresh provider; the result's absolute path there."""
        task_id = self._task(task_id)
        provider_dir = self.prepare_provider_dir(subtask_id, resources, task_id=task_id)
        provider = await self.start_provider_in(provider_dir)
        try:
            relative = await provider.compute(task_id, subtask_id, params)
        finally:
            await self._finish_provider(provider, exit_timeout)
        return provider_dir / relative

    async def run_fresh_provider_benchmark(self, *, exit_timeout: float = 10.0) -> float:
        work_dir = self.provider_work_root / f"benchmark-{_new_id()}"
        provider = await self.start_provider_in(work_dir)
        try:
            return await provider.run_benchmark()
        finally:
            await self._finish_provider(provider, exit_timeout)

    def copy_result(self, subtask_id: str, result: Path, *, task_id: str | None = None) -> Path:
        """Copy a provider's result, same name, to requestor `subtask_outputs/<subtask_id>/`."""
        return moves.deliver_result(result.parent, result.name, self.task_dir(task_id), subtask_id)

    # -- whole flows -----------------------------------------------------

    async def compute_and_verify(
        self, subtask_id: str, subtask: Subtask, *, task_id: str | None = None
    ) -> SubtaskVerdict:
        result = await self.compute_remote(
            subtask_id, subtask.params, subtask.resources, task_id=task_id
        )
        self.copy_result(subtask_id, result, task_id=task_id)
        verdict, reason = await self.verify(subtask_id, task_id=task_id)
        return SubtaskVerdict(subtask_id, verdict, reason)

    async def run_task(
        self,
        task_params: dict[str, Any],
        *,
        max_subtasks_count: int = 1,
        resources: Iterable[Path] = (),
        task_id: str | None = None,
        opaque_node_id: str = "",
        max_rounds: int = 100,
    ) -> TaskRun:
        """Create a task and compute / verify subtasks until none are pending."""
        await self.start_requestor()
        task = await self._create_task(task_params, max_subtasks_count, resources, task_id)
        run = TaskRun(self._task(task_id), task)
        for _ in range(max_rounds):
            if not await self.has_pending_subtasks(run.task_id):
                return run
            assigned = await self.next_subtask(task_id=run.task_id, opaque_node_id=opaque_node_id)
            if assigned is None:
                raise RuntimeError("HasPendingSubtasks said yes but NextSubtask gave nothing")
            verdict = await self.compute_and_verify(*assigned, task_id=run.task_id)
            run.verdicts.append(verdict)
        raise RuntimeError(f"the task still had pending subtasks after {max_rounds} rounds")
