"""`python -m tutorial_app.entrypoint {requestor|provider} PORT [--work-dir DIR]`."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from golem_task_api import constants
from golem_task_api import entrypoint as task_api

from tutorial_app.provider import ProviderHandler
from tutorial_app.requestor import RequestorHandler

DEFAULT_WORK_DIR = Path(constants.CONTAINER_WORK_DIR)


async def main(argv: list[str] | None = None) -> None:
    """Serve one role with this app's handlers until shutdown."""
    work_dir, rest = task_api.split_work_dir(
        list(sys.argv[1:] if argv is None else argv), DEFAULT_WORK_DIR
    )
    await task_api.main(
        work_dir,
        rest,
        requestor_handler=RequestorHandler(),
        provider_handler=ProviderHandler(),
    )


if __name__ == "__main__":
    asyncio.run(main())
