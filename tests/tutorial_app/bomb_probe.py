"""Read one zip the way a role does, in a fresh child process, and report its cost.

Peak memory is only measurable per process (`VmHWM`, the resident high-water
mark), so each read runs in its own interpreter: it imports everything,
notes its high-water mark, reads the zip as the requestor's `Verify` or the
provider's `Compute` would, and prints the growth of the high-water mark,
the time the read took and what the app said.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CHILD = r"""
import asyncio, json, sys, time
from pathlib import Path
from golem_task_api.wire.dirutils import ProviderTaskDir
from tutorial_app.files import verdict
from tutorial_app.handlers.provider import ProviderHandler

def hwm_kib():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")

role, path = sys.argv[1], Path(sys.argv[2])
if role == "provider":
    work = ProviderTaskDir(path.parent.parent)
    params = {"difficulty": 1, "resources": [path.name]}
    read = lambda: str(asyncio.run(ProviderHandler().compute(work, "s", params)))
else:
    read = lambda: str(verdict.judge(path, "probe input", 0))
before = hwm_kib()
started = time.perf_counter()
try:
    outcome = "ok: " + read()
except Exception as exc:
    outcome = f"refused: {exc}"
seconds = time.perf_counter() - started
print(json.dumps({"grew_kib": hwm_kib() - before, "seconds": seconds, "outcome": outcome}))
"""


@dataclass(frozen=True)
class Probe:
    grew_mib: float  # growth of the peak resident set during the read
    seconds: float
    outcome: str


def probe(role: str, data: bytes, root: Path, source: Path | None = None) -> Probe:
    """Read `data` as the requestor's result zip or the provider's input zip
    (with the app's code from the checkout `source`, if given)."""
    if role == "provider":
        path = root / "provider" / "subtask_inputs" / "in.zip"
    else:
        path = root / "requestor" / "result.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    env = dict(os.environ)
    if source is not None:
        paths = [source / "image" / "tutorial_app", source / "image" / "golem_task_api"]
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in paths)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, role, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(done.stdout.splitlines()[-1])
    return Probe(report["grew_kib"] / 1024, report["seconds"], report["outcome"])
