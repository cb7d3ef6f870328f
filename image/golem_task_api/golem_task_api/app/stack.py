"""What both gRPC stacks share: the one error mapping, request limits and graces.

`status_of` is the one place where an exception from an rpc becomes a gRPC
status, by whose fault it is (`golem_task_api.wire.errors`: the node's, the
task state's, or ours, logged with a traceback); work cut short by
`Shutdown` is CANCELLED; the server keeps serving either way. The stacks
import this module, never the server that picks them.
"""

from __future__ import annotations

import logging

from grpclib.const import Status

from golem_task_api.app.threading import Executor
from golem_task_api.wire import errors

logger = logging.getLogger(__name__)

#: How long in-flight rpcs may finish after shutdown begins before they are cancelled.
STOP_GRACE_SECONDS = 0.5
#: The most a client may take to show it has read its last reply.
DELIVERY_GRACE_SECONDS = 1.0
#: Error details travel in HTTP/2 trailers and grpcio clients drop a whole
#: response whose metadata exceeds 16 KiB, so a message quoting hostile input
#: (a 1 MB file name, say) is cut to this many characters.
MAX_DETAILS_CHARS = 2000
#: The largest request accepted (grpcio's default limit too).
MAX_REQUEST_BYTES = 4 * 1024 * 1024


class RpcError(Exception):
    """End the current rpc with this status (raised inside the servers only)."""

    def __init__(self, status: Status, details: str) -> None:
        super().__init__(details)
        self.status = status
        self.details = details


def _details(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if len(text) > MAX_DETAILS_CHARS:
        text = text[: MAX_DETAILS_CHARS - 3] + "..."
    return text


def status_of(name: str, exc: Exception) -> tuple[Status, str]:
    """The one place where an exception from an rpc becomes a gRPC status."""
    if isinstance(exc, RpcError):
        return exc.status, exc.details
    status, traceback = errors.status_for(exc)  # whose fault: see golem_task_api.wire.errors
    if status not in Status.__members__:  # an app's own `status` that gRPC does not know
        status, traceback = "INTERNAL", True
    if not traceback:
        logger.info("%s: %s: %.2000s", name, status.lower(), exc)
        return Status[status], _details(exc)
    if Executor.is_shutting_down():
        # Work cut short by Shutdown is expected, not an internal error.
        logger.info("%s interrupted by shutdown: %s", name, exc)
        return Status.CANCELLED, _details(RuntimeError(f"interrupted by Shutdown: {exc}"))
    logger.error("%s failed", name, exc_info=exc)
    return Status[status], _details(exc)
