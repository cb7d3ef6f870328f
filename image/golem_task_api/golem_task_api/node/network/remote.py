"""The seam for providers on other machines: what a run's `remote` must do.

Its own module so that the run's settings (`config`) and the attempt that
uses them (`attempt`) both name it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from golem_task_api.node.failures import NodeFailure


@dataclass(frozen=True)
class RemoteResult:
    """A result computed elsewhere: the file's name and bytes, and where it was made."""

    name: str
    data: bytes
    where: str


class RemoteFailed(NodeFailure):
    """An attempt failed where it ran; the message says where and why."""


class RemoteProviders(Protocol):
    """Providers on other machines (`golem_task_api.node.cluster`): one whole attempt's
    start, `Compute` and result, with the inputs and the result carried as bytes."""

    max_result_bytes: int
    #: Attempts the node may hand out beyond `--providers`: the remote queues them
    #: where they will run and still computes at most `--providers` at once.
    ahead: int

    async def compute(
        self, task_id: str, subtask_id: str, params: dict[str, Any], inputs: dict[str, bytes]
    ) -> RemoteResult: ...
