"""Test-only app command: the real tutorial app, but some providers misbehave.

    python faulty_app.py MARKER_DIR COUNT FAULT {requestor|provider} PORT --work-dir DIR

The first COUNT provider processes (counted with marker files in
MARKER_DIR, so it works across processes) misbehave; FAULT says how:

* `crash`: die with `os._exit(1)` as soon as `Compute` reaches the handler,
  a provider crashing mid-compute with no reply and no clean shutdown;
* `cheat`: skip the search and return nonce 0, a result that `Verify`
  rejects.

Fault injection lives here, not in the app.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any, NoReturn


def claim_fault(marker_dir: Path, count: int) -> bool:
    """True for the first `count` callers, across processes."""
    marker_dir.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        try:
            fd = os.open(marker_dir / f"fault-{n}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            continue
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        return True
    return False


def main() -> None:
    marker_dir, count, fault, argv = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    from tutorial_app import entrypoint
    from tutorial_app.handlers.provider import ProviderHandler
    from tutorial_app.search import pow, search

    if argv[:1] == ["provider"] and claim_fault(marker_dir, count):
        if fault == "crash":

            async def crash(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
                os._exit(1)

            ProviderHandler.compute = crash  # type: ignore[method-assign]
        elif fault == "cheat":

            def cheat(input_data: str, difficulty: int, *args: Any) -> pow.Proof:
                return pow.Proof(pow.hash_hex(input_data, 0), 0)

            search.find_proof = cheat  # type: ignore[assignment]
        else:
            raise SystemExit(f"unknown fault {fault!r}")
    asyncio.run(entrypoint.main(argv))


if __name__ == "__main__":
    main()
