"""A provider app for the fork-server tests: `Compute` reports who computed it.

Run as `python -m probe_app provider PORT --work-dir DIR` (with this folder
on PYTHONPATH). The result file, in the work dir, records the process's pid,
parent, session, thread count and the work dir it was given.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from golem_task_api.app import command_line, entrypoint
from golem_task_api.app.handlers import ProviderAppHandler
from golem_task_api.wire.dirutils import ProviderTaskDir


class ProbeProvider(ProviderAppHandler):
    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir

    async def compute(
        self, task_work_dir: ProviderTaskDir, subtask_id: str, subtask_params: dict[str, Any]
    ) -> Path:
        facts = {
            "pid": os.getpid(),
            "ppid": os.getppid(),
            "sid": os.getsid(0),
            "threads": len(os.listdir("/proc/self/task")),
            "work_dir": str(self.work_dir),
            "task_work_dir": str(task_work_dir),
        }
        result = Path(f"{subtask_id}.json")
        (task_work_dir / result).write_text(json.dumps(facts))
        return result

    async def run_benchmark(self, work_dir: Path) -> float:
        return 1.0


def main(argv: list[str]) -> None:
    work_dir, rest = command_line.split_work_dir(argv, Path.cwd())
    asyncio.run(entrypoint.main(work_dir, rest, provider_handler=ProbeProvider(work_dir)))


if __name__ == "__main__":
    main(sys.argv[1:])
