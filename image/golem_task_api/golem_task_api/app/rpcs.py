"""The rpc table: how each wire message becomes a handler call and back.

Every entry is a small translation; validation of ids and JSON happens here
so handlers only ever see safe ids and parsed objects. The server module
turns the table into gRPC method handlers with one shared error mapping.
"""

import abc
import enum
import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message

from golem_task_api.app.handlers import AppLifecycleHandler, ProviderAppHandler, RequestorAppHandler
from golem_task_api.app.threading import Executor
from golem_task_api.proto import golem_task_api_pb2 as pb
from golem_task_api.wire.dirutils import ProviderTaskDir, RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from golem_task_api.wire.ids import check_dir_id, check_ids, check_node_id
from golem_task_api.wire.methods import (
    ABORT_SUBTASK,
    ABORT_TASK,
    COMPUTE,
    CREATE_TASK,
    DISCARD_SUBTASKS,
    HAS_PENDING_SUBTASKS,
    NEXT_SUBTASK,
    PROVIDER_SERVICE,
    REQUESTOR_SERVICE,
    RUN_BENCHMARK,
    SHUTDOWN,
    VERIFY,
    Method,
)


@dataclass(frozen=True)
class CallContext:
    """What an rpc translation may use besides its request."""

    work_dir: Path
    lifecycle: AppLifecycleHandler
    handler: RequestorAppHandler | ProviderAppHandler


Req = TypeVar("Req", bound=Message)
Rep = TypeVar("Rep", bound=Message)


class AnyRpc(abc.ABC):
    """An rpc with its types erased, so one table can hold them all."""

    method: Method[Message, Message]
    #: The provider answers one of these, then shuts itself down.
    single_shot: bool

    @abc.abstractmethod
    async def answer(self, ctx: CallContext, request: Message) -> Message: ...


class Rpc(AnyRpc, Generic[Req, Rep]):
    """A method bound to the translation that serves it."""

    def __init__(
        self,
        method: Method[Req, Rep],
        call: Callable[[CallContext, Req], Awaitable[Rep]],
        *,
        single_shot: bool = False,
    ) -> None:
        self.method = method
        self._request_type = method.request_type
        self.call = call
        self.single_shot = single_shot

    async def answer(self, ctx: CallContext, request: Message) -> Message:
        if not isinstance(request, self._request_type):
            raise TypeError(f"{self.method.name} got a {type(request).__name__}")
        return await self.call(ctx, request)


def parse_json_object(kind: str, text: str) -> dict[str, Any]:
    """Parse wire JSON that must be an object; readable `ValueError` otherwise."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(f"{kind} is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or an integer with too many digits
        raise ValueError(f"{kind} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{kind} must be a JSON object, not {type(value).__name__}")
    return value


def _requestor(ctx: CallContext) -> RequestorAppHandler:
    if not isinstance(ctx.handler, RequestorAppHandler):
        raise TypeError("a requestor rpc reached a server without a requestor handler")
    return ctx.handler


def _provider(ctx: CallContext) -> ProviderAppHandler:
    if not isinstance(ctx.handler, ProviderAppHandler):
        raise TypeError("a provider rpc reached a server without a provider handler")
    return ctx.handler


def _task_dir(ctx: CallContext, task_id: str) -> RequestorTaskDir:
    return _requestor_task_dir(ctx.work_dir, check_dir_id("task_id", task_id))


@functools.lru_cache(maxsize=256)
def _requestor_task_dir(work_dir: Path, task_id: str) -> RequestorTaskDir:
    """One (immutable) path object per task: building it took ~2% of a busy requestor's
    event loop, every call naming the same few tasks."""
    return RequestorTaskDir(work_dir / task_id)


async def _create_task(ctx: CallContext, request: pb.CreateTaskRequest) -> pb.CreateTaskReply:
    task_dir = _task_dir(ctx, request.task_id)
    params = parse_json_object("task_params_json", request.task_params_json)
    task = await _requestor(ctx).create_task(task_dir, request.max_subtasks_count, params)
    return pb.CreateTaskReply(
        env_id=task.env_id,
        prerequisites_json=json.dumps(task.prerequisites),
        inf_requirements=pb.Infrastructure(min_memory_mib=task.inf_requirements.min_memory_mib),
    )


async def _next_subtask(ctx: CallContext, request: pb.NextSubtaskRequest) -> pb.NextSubtaskReply:
    task_dir = _task_dir(ctx, request.task_id)
    subtask_id = check_dir_id("subtask_id", request.subtask_id)
    node_id = check_node_id(request.opaque_node_id)
    subtask = await _requestor(ctx).next_subtask(task_dir, subtask_id, node_id)
    if subtask is None:
        return pb.NextSubtaskReply()
    return pb.NextSubtaskReply(
        subtask=pb.SubtaskReply(
            subtask_params_json=json.dumps(subtask.params),
            resources=list(subtask.resources),
        )
    )


async def _verify(ctx: CallContext, request: pb.VerifyRequest) -> pb.VerifyReply:
    task_dir = _task_dir(ctx, request.task_id)
    subtask_id = check_dir_id("subtask_id", request.subtask_id)
    result, reason = await _requestor(ctx).verify(task_dir, subtask_id)
    return pb.VerifyReply(result=VerifyResult(result).name, reason=reason or "")


async def _discard_subtasks(
    ctx: CallContext, request: pb.DiscardSubtasksRequest
) -> pb.DiscardSubtasksReply:
    task_dir = _task_dir(ctx, request.task_id)
    subtask_ids = check_ids("subtask_id", list(request.subtask_ids))
    discarded = await _requestor(ctx).discard_subtasks(task_dir, subtask_ids)
    return pb.DiscardSubtasksReply(discarded_subtask_ids=list(discarded))


async def _has_pending_subtasks(
    ctx: CallContext, request: pb.HasPendingSubtasksRequest
) -> pb.HasPendingSubtasksReply:
    task_dir = _task_dir(ctx, request.task_id)
    pending = await _requestor(ctx).has_pending_subtasks(task_dir)
    return pb.HasPendingSubtasksReply(has_pending_subtasks=bool(pending))


async def _abort_task(ctx: CallContext, request: pb.AbortTaskRequest) -> pb.AbortTaskReply:
    await _requestor(ctx).abort_task(_task_dir(ctx, request.task_id))
    return pb.AbortTaskReply()


async def _abort_subtask(ctx: CallContext, request: pb.AbortSubtaskRequest) -> pb.AbortSubtaskReply:
    task_dir = _task_dir(ctx, request.task_id)
    subtask_id = check_dir_id("subtask_id", request.subtask_id)
    await _requestor(ctx).abort_subtask(task_dir, subtask_id)
    return pb.AbortSubtaskReply()


async def _run_benchmark(ctx: CallContext, request: pb.RunBenchmarkRequest) -> pb.RunBenchmarkReply:
    score = await ctx.handler.run_benchmark(ctx.work_dir)
    return pb.RunBenchmarkReply(score=float(score))


async def _compute(ctx: CallContext, request: pb.ComputeRequest) -> pb.ComputeReply:
    check_dir_id("task_id", request.task_id)
    subtask_id = check_dir_id("subtask_id", request.subtask_id)
    params = parse_json_object("subtask_params_json", request.subtask_params_json)
    task_dir = ProviderTaskDir(ctx.work_dir)
    output = Path(await _provider(ctx).compute(task_dir, subtask_id, params))
    if output.is_absolute() and output.is_relative_to(task_dir):
        output = output.relative_to(task_dir)
    return pb.ComputeReply(output_filepath=str(output))


async def _shutdown(ctx: CallContext, request: pb.ShutdownRequest) -> pb.ShutdownReply:
    # Running work learns of it through the executor; the server stops once
    # this reply has been sent (the serve loop waits for the lifecycle event).
    Executor.request_shutdown()
    ctx.lifecycle.request_shutdown()
    return pb.ShutdownReply()


REQUESTOR_RPCS: tuple[AnyRpc, ...] = (
    Rpc(CREATE_TASK, _create_task),
    Rpc(NEXT_SUBTASK, _next_subtask),
    Rpc(VERIFY, _verify),
    Rpc(DISCARD_SUBTASKS, _discard_subtasks),
    Rpc(RUN_BENCHMARK, _run_benchmark),
    Rpc(HAS_PENDING_SUBTASKS, _has_pending_subtasks),
    Rpc(ABORT_TASK, _abort_task),
    Rpc(ABORT_SUBTASK, _abort_subtask),
    Rpc(SHUTDOWN, _shutdown),
)

PROVIDER_RPCS: tuple[AnyRpc, ...] = (
    Rpc(COMPUTE, _compute, single_shot=True),
    Rpc(RUN_BENCHMARK, _run_benchmark, single_shot=True),
    Rpc(SHUTDOWN, _shutdown),
)


class Role(enum.Enum):
    REQUESTOR = "requestor"
    PROVIDER = "provider"


TABLES: dict[Role, tuple[str, tuple[AnyRpc, ...]]] = {
    Role.REQUESTOR: (REQUESTOR_SERVICE, REQUESTOR_RPCS),
    Role.PROVIDER: (PROVIDER_SERVICE, PROVIDER_RPCS),
}
