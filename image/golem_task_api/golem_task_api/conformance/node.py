"""The node's side of a task, as the checks drive it.

Ids as a node makes them (uuid1 subtask ids, a long hex node id), each
subtask on a fresh provider in its own dir, the files moved by `nodemoves`
(the moves the local network makes), and every answer held against what the
node relies on: a failure raises `Fail` naming the defect.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import grpc

from golem_task_api.conformance.report import Fail
from golem_task_api.conformance.target import Sandbox, Target, exited_within, stop
from golem_task_api.node import moves as nodemoves
from golem_task_api.node.client import RequestorAppClient
from golem_task_api.wire.dirutils import ProviderTaskDir, RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from golem_task_api.wire.structs import Subtask, Task

T = TypeVar("T")
#: A provider exits by itself after its one reply; the node waits this long for it.
PROVIDER_EXIT_WAIT = 5.0
NODE_ID = uuid.uuid4().hex * 2  # a node id is long hex


def status(exc: grpc.aio.AioRpcError) -> str:
    return f"{exc.code().name}: {exc.details()}"


async def call(what: str, awaitable: Awaitable[T]) -> T:
    """`awaitable`; a failed call is a `Fail` naming the call and the status."""
    try:
        return await awaitable
    except grpc.aio.AioRpcError as exc:
        raise Fail(f"{what} failed ({status(exc)})") from exc


@dataclass
class Handed:
    subtask_id: str
    subtask: Subtask


class TaskDriver:
    """One task of the app on `requestor`, moved along as a node moves it."""

    def __init__(
        self,
        target: Target,
        requestor: RequestorAppClient,
        *,
        use_tls: bool,
        sandbox: Sandbox | None = None,
    ) -> None:
        self.target = target
        self.sandbox = sandbox
        self.requestor = requestor
        self.use_tls = use_tls
        self.task_id = f"task-{uuid.uuid4().hex[:12]}"
        self.task_dir = RequestorTaskDir(requestor.service.work_dir / self.task_id)
        self.verdicts: dict[str, VerifyResult] = {}

    async def create(self, params: dict[str, Any] | None = None) -> Task:
        spec = self.target.spec
        params = dict(spec.params if params is None else params)
        nodemoves.prepare_task(self.task_dir, spec.inputs)
        self.target.hand_over(self.task_dir)
        return await call(
            "CreateTask",
            self.requestor.create_task(self.task_id, spec.subtasks, params),
        )

    async def next(self) -> Handed | None:
        """`NextSubtask` with a node-chosen id; its resources must be in `subtask_inputs/`."""
        subtask_id = str(uuid.uuid1())
        subtask = await call(
            "NextSubtask", self.requestor.next_subtask(self.task_id, subtask_id, NODE_ID)
        )
        if subtask is None:
            return None
        for name in subtask.resources:
            try:
                nodemoves.check_plain_name(name, "resource")
            except nodemoves.FileMoveError as exc:
                raise Fail(f"NextSubtask named a resource that is no file name: {exc}") from None
            if not (self.task_dir.subtask_inputs_dir / name).is_file():
                raise Fail(
                    f"NextSubtask named resource {name!r}, which is not a file in "
                    f"subtask_inputs/ (the node sends providers only what is there)"
                )
        return Handed(subtask_id, subtask)

    def hand_out(self, handed: Handed) -> ProviderTaskDir:
        """The node's move before `Compute`: a fresh provider task dir with the resources."""
        # A node mounts the task's own dir as the provider's work dir.
        provider_dir = ProviderTaskDir(self.target.fresh_dir("provider"))
        nodemoves.hand_out(self.task_dir, handed.subtask, provider_dir)
        self.target.hand_over(provider_dir)
        return provider_dir

    def deliver(self, provider_dir: Path, output: Path, subtask_id: str) -> Path:
        """The node's move before `Verify`: the result, same name, into `subtask_outputs/<id>/`."""
        check_result_path(provider_dir, output)
        delivered = nodemoves.deliver_result(provider_dir, output, self.task_dir, subtask_id)
        self.target.hand_over(delivered.parent)
        return delivered

    async def compute(self, handed: Handed) -> Path:
        """Hand out, `Compute` on a fresh provider, deliver; the delivered copy's path."""
        provider_dir = self.hand_out(handed)
        provider = await self.target.provider(
            provider_dir, use_tls=self.use_tls, sandbox=self.sandbox
        )
        try:
            output = await call(
                "Compute",
                provider.compute(self.task_id, handed.subtask_id, handed.subtask.params),
            )
            await provider.close()
            # The provider exits by itself; `provider.exits-after-call` judges how soon.
            await exited_within(provider.service, PROVIDER_EXIT_WAIT)
        finally:
            await stop(provider)
        return self.deliver(provider_dir, output, handed.subtask_id)

    async def verify(self, subtask_id: str) -> tuple[VerifyResult, str]:
        result = await call("Verify", self.requestor.verify(self.task_id, subtask_id))
        self.verdicts[subtask_id] = result[0]
        return result

    async def has_pending(self) -> bool:
        return await call("HasPendingSubtasks", self.requestor.has_pending_subtasks(self.task_id))

    async def finish(self, *, max_rounds: int | None = None) -> int:
        """Hand out, compute and verify until nothing is pending; the subtasks verified.

        Every result of the app's own provider must verify SUCCESS, and
        `HasPendingSubtasks` must settle to false once all parts are done.
        """
        limit = max_rounds or 3 * self.target.spec.subtasks + 3
        for verified in range(limit):
            if not await self.has_pending():
                return verified
            handed = await self.next()
            if handed is None:
                raise Fail(
                    "HasPendingSubtasks said true, then NextSubtask gave nothing "
                    "(true promises the node a subtask)"
                )
            await self.compute(handed)
            result, reason = await self.verify(handed.subtask_id)
            if result is not VerifyResult.SUCCESS:
                raise Fail(f"Verify refused its own provider's result: {result.name} ({reason!r})")
        raise Fail(
            f"HasPendingSubtasks still true after {limit} subtasks were verified "
            f"(max_subtasks_count {self.target.spec.subtasks}): the task never ends"
        )


def check_result_path(provider_dir: Path, output: Path) -> None:
    """`Compute`'s answer: a relative path to a file inside the provider's task dir."""
    text = str(output)
    if output.is_absolute():
        raise Fail(
            f"Compute returned the absolute path {text!r}; the node needs a path relative "
            "to the provider's task dir (it joins it to its own host path)"
        )
    try:
        path = nodemoves.inside(provider_dir, output, "result path")
    except nodemoves.FileMoveError:
        raise Fail(
            f"Compute returned {text!r}, which escapes the provider's task dir "
            "(the node refuses to send it)"
        ) from None
    if not path.is_file():
        raise Fail(f"Compute returned {text!r}, but there is no such file in the task dir")
