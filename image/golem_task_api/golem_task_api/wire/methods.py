"""The method table: each rpc's name, request and reply type, stated once.

Both sides build on it: the app's servers bind each method to its
translation (`golem_task_api.app.rpcs`), the node's clients call by it.
"""

from dataclasses import dataclass
from typing import Generic, TypeVar

from google.protobuf.message import Message

from golem_task_api.proto import golem_task_api_pb2 as pb

REQUESTOR_SERVICE = "golem_task_api.RequestorApp"
PROVIDER_SERVICE = "golem_task_api.ProviderApp"

ReqT_co = TypeVar("ReqT_co", bound=Message, covariant=True)
RepT_co = TypeVar("RepT_co", bound=Message, covariant=True)


@dataclass(frozen=True)
class Method(Generic[ReqT_co, RepT_co]):
    """One rpc on the wire: its name, request type and reply type (stated once, here)."""

    name: str
    request_type: type[ReqT_co]
    reply_type: type[RepT_co]

    def path(self, service: str) -> str:
        return f"/{service}/{self.name}"


CREATE_TASK = Method("CreateTask", pb.CreateTaskRequest, pb.CreateTaskReply)
NEXT_SUBTASK = Method("NextSubtask", pb.NextSubtaskRequest, pb.NextSubtaskReply)
VERIFY = Method("Verify", pb.VerifyRequest, pb.VerifyReply)
DISCARD_SUBTASKS = Method("DiscardSubtasks", pb.DiscardSubtasksRequest, pb.DiscardSubtasksReply)
RUN_BENCHMARK = Method("RunBenchmark", pb.RunBenchmarkRequest, pb.RunBenchmarkReply)
HAS_PENDING_SUBTASKS = Method(
    "HasPendingSubtasks", pb.HasPendingSubtasksRequest, pb.HasPendingSubtasksReply
)
ABORT_TASK = Method("AbortTask", pb.AbortTaskRequest, pb.AbortTaskReply)
ABORT_SUBTASK = Method("AbortSubtask", pb.AbortSubtaskRequest, pb.AbortSubtaskReply)
SHUTDOWN = Method("Shutdown", pb.ShutdownRequest, pb.ShutdownReply)
COMPUTE = Method("Compute", pb.ComputeRequest, pb.ComputeReply)


def serialize(message: Message) -> bytes:
    """A protobuf message's wire bytes (typed, for grpcio's serializer hooks)."""
    return message.SerializeToString()
