"""Telling whoever started the app that its server is SERVING, without polling.

A starter that wants the signal opens a pipe and names its write end in the
environment variable `READY_FD_ENV`; the server writes one byte there once it
is bound and its health service says SERVING, then closes the pipe. Without
the variable nothing happens, and a node polls health as the contract says.
"""

import contextlib
import logging
import os

logger = logging.getLogger(__name__)

READY_FD_ENV = "GOLEM_TASK_API_READY_FD"
READY_BYTE = b"R"


def announce() -> None:
    """Write the ready byte once (a no-op without the variable or the second time)."""
    text = os.environ.pop(READY_FD_ENV, None)
    if text is None:
        return
    try:
        fd = int(text)
    except ValueError:
        logger.warning("%s is not a file descriptor: %r", READY_FD_ENV, text)
        return
    try:
        os.write(fd, READY_BYTE)
    except OSError as exc:  # the starter went away: nobody is waiting
        logger.debug("could not announce readiness: %s", exc)
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
