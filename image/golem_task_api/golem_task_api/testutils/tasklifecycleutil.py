"""`TaskLifecycleUtil`: 0.24's test driver, on the node moves the local network uses.

0.24 layout: `work_dir/requestor/` is the requestor's work dir and
`work_dir/provider/<task_id>/` the provider's task dir, reused by every
provider of the task (each subtask starts the provider service again).
Apps and ports differ from 0.24 in one way: a port not given is a free
one (0.24 used 50005 / 50006, so two test runs on a machine collided).

`create_task` takes both spellings: 0.24's positional
`(task_id, max_subtasks_count, resources, task_params)` and the newer
`(task_params, *, max_subtasks_count=1, resources=(), task_id=None)`.
"""

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

from golem_task_api.app.handlers import AppLifecycleHandler, ProviderAppHandler, RequestorAppHandler
from golem_task_api.compat.client import ProviderAppClient, RequestorAppClient
from golem_task_api.compat.legacy_service import TaskApiService
from golem_task_api.node import client, moves
from golem_task_api.node.ports import free_port
from golem_task_api.node.services import base
from golem_task_api.testutils.inlinetaskapiservice import InlineTaskApiService
from golem_task_api.testutils.runs import NodeLifecycle
from golem_task_api.wire.dirutils import (
    ProviderDir,
    ProviderTaskDir,
    RequestorDir,
    RequestorTaskDir,
)
from golem_task_api.wire.enums import VerifyResult
from golem_task_api.wire.structs import Subtask, Task

AnyService = TaskApiService | base.TaskApiService
GetService = Callable[[Path], AnyService]

#: How long a provider may take to exit after answering (0.24 waited 5 s).
PROVIDER_EXIT_TIMEOUT = 10.0


class TaskLifecycleUtil(NodeLifecycle):
    def __init__(
        self,
        work_dir: Path,
        service_factory: base.ServiceFactory | None = None,
        *,
        health_timeout: float = 15.0,
        use_tls: bool = False,
    ) -> None:
        super().__init__(work_dir, service_factory, health_timeout=health_timeout, use_tls=use_tls)
        self.work_dir = self.work_root
        self.req_dir = RequestorDir(self.requestor_work_dir)
        self.req_dir.mkdir(parents=True, exist_ok=True)
        self.prov_dir = ProviderDir(self.provider_work_root)
        self.prov_dir.mkdir(parents=True, exist_ok=True)
        self._provider_service: AnyService | None = None
        self.requestor_client: RequestorAppClient
        self.provider_client: client.ProviderAppClient

    # -- provider (0.24) -------------------------------------------------

    def init_provider(self, get_task_api_service: GetService, task_id: str) -> ProviderTaskDir:
        """Prepare `provider/<task_id>/` and the service its providers will run in."""
        task_dir = self.prov_dir.task_dir(task_id)
        task_dir.prepare()
        self._provider_service = get_task_api_service(task_dir)
        return task_dir

    def init_provider_with_handler(
        self,
        provider_handler: ProviderAppHandler,
        task_id: str,
        lifecycle_handler: AppLifecycleHandler | None = None,
    ) -> ProviderTaskDir:
        def get_task_api_service(work_dir: Path) -> AnyService:
            return InlineTaskApiService(
                work_dir,
                provider_handler=provider_handler,
                provider_lifecycle_handler=lifecycle_handler,
            )

        return self.init_provider(get_task_api_service, task_id)

    async def start_provider(self, work_dir: Path | None = None) -> client.ProviderAppClient:
        """0.24: start a provider in the service from `init_provider` (`provider_client`).

        With `work_dir`: a provider from the service factory in that dir.
        """
        if work_dir is not None:
            return await self.start_provider_in(work_dir)
        if self._provider_service is None:
            raise RuntimeError("init_provider() first")
        self.provider_client = await ProviderAppClient.create(
            self._provider_service, free_port(), health_timeout=self.health_timeout
        )
        return self.provider_client

    async def shutdown_provider(self) -> None:
        await self.provider_client.shutdown()

    async def run_provider_benchmark(self, *, exit_timeout: float = 10.0) -> float:
        """0.24: benchmark in the `init_provider` service; else in a fresh provider."""
        if self._provider_service is None:
            return await self.run_fresh_provider_benchmark(exit_timeout=exit_timeout)
        provider = await self.start_provider()
        try:
            return await provider.run_benchmark()
        finally:
            await self._provider_exited(provider, exit_timeout)

    async def _provider_exited(self, provider: client.ProviderAppClient, timeout: float) -> None:
        """As 0.24's `compute`: the provider is gone before the next one starts."""
        try:
            await provider.service.wait_until_shutdown_complete(timeout)
        finally:
            await provider.shutdown()

    # -- requestor (0.24) ------------------------------------------------

    @contextlib.asynccontextmanager
    async def init_requestor(
        self, get_task_api_service: GetService, port: int | None = None
    ) -> AsyncIterator[RequestorAppClient]:
        """Start the requestor in `get_task_api_service(req_dir)`; shut it down on exit."""
        service = get_task_api_service(self.req_dir)
        self.requestor_client = await RequestorAppClient.create(
            service, free_port() if port is None else port, health_timeout=self.health_timeout
        )
        self.requestor = self.requestor_client
        try:
            yield self.requestor_client
        finally:
            self.requestor = None
            await self.requestor_client.shutdown()

    @contextlib.asynccontextmanager
    async def init_requestor_with_handler(
        self,
        requestor_handler: RequestorAppHandler,
        lifecycle_handler: AppLifecycleHandler | None = None,
        port: int | None = None,
    ) -> AsyncIterator[RequestorAppClient]:
        def get_task_api_service(work_dir: Path) -> AnyService:
            return InlineTaskApiService(
                work_dir,
                requestor_handler=requestor_handler,
                requestor_lifecycle_handler=lifecycle_handler,
            )

        async with self.init_requestor(get_task_api_service, port) as client:
            yield client

    # -- the node's moves (0.24 names) ---------------------------------

    def put_resources_to_requestor(self, resources: list[Path], task_id: str) -> None:
        moves.copy_inputs(resources, self.req_dir.task_dir(task_id).task_inputs_dir)

    def copy_resources_from_requestor(self, resources: list[str], task_id: str) -> None:
        subtask = Subtask(params={}, resources=list(resources))
        moves.hand_out(self.req_dir.task_dir(task_id), subtask, self.prov_dir.task_dir(task_id))

    def copy_result_from_provider(
        self, output_filepath: Path, task_id: str, subtask_id: str
    ) -> None:
        provider_dir = self.prov_dir.task_dir(task_id)
        moves.deliver_result(
            provider_dir, output_filepath, self.req_dir.task_dir(task_id), subtask_id
        )

    async def create_task(self, *args: Any, **kwargs: Any) -> Task:
        """`(task_id, max_subtasks_count, resources, task_params)` (0.24) or `(task_params,...)`."""
        names = ("task_id", "max_subtasks_count", "resources", "task_params")
        if args and isinstance(args[0], str):
            kwargs.update(zip(names, args, strict=False))
        elif args:
            kwargs["task_params"] = args[0]
            if len(args) > 1:
                raise TypeError("after task_params, give the other arguments by name")
        unknown = set(kwargs) - set(names)
        if unknown or "task_params" not in kwargs:
            raise TypeError(f"create_task() needs task_params; unknown: {sorted(unknown)}")
        return await self._create_task(
            kwargs["task_params"],
            kwargs.get("max_subtasks_count", 1),
            kwargs.get("resources", ()),
            kwargs.get("task_id"),
        )

    # -- whole flows (0.24) ----------------------------------------------

    async def compute_next_subtask(
        self, task_id: str, opaque_node_id: str
    ) -> tuple[str, VerifyResult]:
        """One subtask: NextSubtask, copy, a provider computes, copy back, Verify."""
        requestor = self.requestor_client
        if not await requestor.has_pending_subtasks(task_id):
            raise RuntimeError(f"task {task_id} has no pending subtasks")
        subtask_id = str(uuid.uuid4())
        subtask = await requestor.next_subtask(task_id, subtask_id, opaque_node_id)
        if subtask is None:
            raise RuntimeError("HasPendingSubtasks said yes but NextSubtask gave nothing")
        self.copy_resources_from_requestor(subtask.resources, task_id)
        self.prov_dir.subtask_dir(task_id, subtask_id).mkdir(parents=True, exist_ok=True)
        provider = await self.start_provider()
        try:
            output_filepath = await provider.compute(task_id, subtask_id, subtask.params)
        finally:
            await self._provider_exited(provider, PROVIDER_EXIT_TIMEOUT)
        self.copy_result_from_provider(output_filepath, task_id, subtask_id)
        result, _reason = await requestor.verify(task_id, subtask_id)
        return subtask_id, result

    async def compute_remaining_subtasks(self, task_id: str, opaque_node_id: str) -> list[str]:
        """Compute until nothing is pending; every verdict must be SUCCESS."""
        subtask_ids = []
        while await self.requestor_client.has_pending_subtasks(task_id):
            subtask_id, verdict = await self.compute_next_subtask(task_id, opaque_node_id)
            if verdict is not VerifyResult.SUCCESS:
                raise AssertionError(f"subtask {subtask_id} was not verified: {verdict.name}")
            subtask_ids.append(subtask_id)
        return subtask_ids

    async def simulate_task(
        self,
        get_task_api_service: GetService,
        max_subtasks_count: int,
        task_params: dict[str, Any],
        resources: Iterable[Path],
    ) -> RequestorTaskDir:
        """A whole task with 0.24's ids; the requestor's task dir at the end."""
        async with self.init_requestor(get_task_api_service):
            task_id = "test_task_id123"
            opaque_node_id = "node_id123"
            await self.create_task(task_id, max_subtasks_count, list(resources), task_params)
            self.init_provider(get_task_api_service, task_id)
            subtask_ids = await self.compute_remaining_subtasks(task_id, opaque_node_id)
            if len(subtask_ids) > max_subtasks_count:
                raise AssertionError(f"{len(subtask_ids)} subtasks for {max_subtasks_count}")
            if await self.requestor_client.has_pending_subtasks(task_id):
                raise AssertionError("subtasks still pending after the last one")
            return self.req_dir.task_dir(task_id)
