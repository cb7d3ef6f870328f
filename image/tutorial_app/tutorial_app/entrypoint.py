"""`python -m tutorial_app.entrypoint {requestor|provider} PORT [--work-dir DIR]`.

A requestor first takes the work dir's lock (`tutorial_app.store.owner`): a second
one exits at once with status 3 and one line naming the holder's pid.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from golem_task_api.app import entrypoint as task_api
from golem_task_api.app.command_line import split_work_dir
from golem_task_api.wire import constants

from tutorial_app.handlers.provider import ProviderHandler
from tutorial_app.handlers.requestor import RequestorHandler
from tutorial_app.store import owner, syncing

DEFAULT_WORK_DIR = Path(constants.CONTAINER_WORK_DIR)
#: Exit status when another requestor owns the work dir (2 is a bad command line).
BUSY_EXIT_CODE = 3


async def main(argv: list[str] | None = None) -> None:
    """Serve one role with this app's handlers until shutdown."""
    work_dir, rest = split_work_dir(list(sys.argv[1:] if argv is None else argv), DEFAULT_WORK_DIR)
    lock = None
    if rest[:1] == ["requestor"]:
        lock = _own(work_dir)
        syncing.prepare()  # before the server is up, not in the first call
    try:
        await task_api.main(
            work_dir,
            rest,
            requestor_handler=RequestorHandler(),
            provider_handler=ProviderHandler(),
        )
    finally:
        if lock is not None:
            os.close(lock)


def _own(work_dir: Path) -> int:
    """The work dir's lock, or exit with one line on stderr if another process holds it."""
    try:
        return owner.take(work_dir)
    except (owner.WorkDirBusy, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(BUSY_EXIT_CODE) from None


if __name__ == "__main__":
    asyncio.run(main())
