"""Whose fault an error is: exception types any app raises, and the gRPC status each maps to.

The server consults `status_for` once per failed call, so an app says what
went wrong by the type it raises, never by a message: a `TaskApiError`
carries its status (`status`, a gRPC status name; a subclass may set its
own), and `STATUS_TABLE` is only for types that are not ours. A `ValueError` that is
none of these stays the node's fault (INVALID_ARGUMENT), as apps written for
the original package expect, except JSON and Unicode decode errors: those come
from reading our own files far more often than from a request, so they are
INTERNAL (with a traceback) rather than blamed on the node.
"""

from __future__ import annotations

import json


class TaskApiError(Exception):
    """Base of the errors below; `status` names the gRPC status code it is answered with."""

    status = "INTERNAL"

    @property
    def traceback(self) -> bool:
        """Log it with a traceback: ours (INTERNAL), not the node's or the task state's."""
        return self.status == "INTERNAL"


class InvalidArgument(TaskApiError, ValueError):
    """The node sent something wrong (a bad parameter, id, file name or input file)."""

    status = "INVALID_ARGUMENT"


class FailedPrecondition(TaskApiError):
    """The request is well formed but the task's state does not allow it now."""

    status = "FAILED_PRECONDITION"


class NotFound(TaskApiError):
    """The task or subtask the request names does not exist (any more)."""

    status = "NOT_FOUND"


class InternalError(TaskApiError):
    """Damaged local state or a bug of ours: never the node's fault."""

    status = "INTERNAL"


#: Types that are not ours, first match wins. (exception type, gRPC status name, log a traceback?)
STATUS_TABLE: tuple[tuple[type[BaseException], str, bool], ...] = (
    (json.JSONDecodeError, "INTERNAL", True),
    (UnicodeError, "INTERNAL", True),
    (ValueError, "INVALID_ARGUMENT", False),
)


def status_for(exc: BaseException) -> tuple[str, bool]:
    """The gRPC status name for `exc` and whether to log its traceback."""
    if isinstance(exc, TaskApiError):
        return exc.status, exc.traceback
    for kind, status, traceback in STATUS_TABLE:
        if isinstance(exc, kind):
            return status, traceback
    return "INTERNAL", True
