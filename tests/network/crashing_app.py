"""Test-only app command: the real tutorial app, but some providers crash.

    python crashing_app.py MARKER_DIR CRASHES {requestor|provider} PORT --work-dir DIR

The first CRASHES provider processes (counted with marker files in
MARKER_DIR, so it works across processes) die with `os._exit(1)` as soon
as `Compute` reaches the handler: a provider crashing mid-compute, with no
reply and no clean shutdown. Fault injection lives here, not in the app.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any, NoReturn


def claim_crash(marker_dir: Path, crashes: int) -> bool:
    """True for the first `crashes` callers, across processes."""
    marker_dir.mkdir(parents=True, exist_ok=True)
    for n in range(crashes):
        try:
            fd = os.open(marker_dir / f"crash-{n}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            continue
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        return True
    return False


def main() -> None:
    marker_dir, crashes, argv = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    from tutorial_app import entrypoint
    from tutorial_app.provider import ProviderHandler

    if argv[:1] == ["provider"] and claim_crash(marker_dir, crashes):

        async def crash(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
            os._exit(1)

        ProviderHandler.compute = crash  # type: ignore[method-assign]
    asyncio.run(entrypoint.main(argv))


if __name__ == "__main__":
    main()
