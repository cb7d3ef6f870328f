"""Our node side drives an app built like the original: its server selects no ALPN.

grpcio clients refuse such servers over TLS ("missing selected ALPN
property"); `golem-task-api run` must still run a whole task against it
with its default mutual TLS, certificate checks intact.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from golem_task_api.node.network import results

pytestmark = pytest.mark.timeout(180)

STANDIN = Path(__file__).with_name("standin_app.py")
RUN = [sys.executable, "-m", "golem_task_api.cli"]


def test_golem_task_api_run_drives_a_no_alpn_app_over_tls(tmp_path: Path, stub_file: Path) -> None:
    source = tmp_path / "input.txt"
    source.write_text("alpha beta gamma\n", encoding="utf-8")
    out = tmp_path / "out"
    args = [
        *RUN,
        "run",
        "--app",
        f"python {STANDIN}",
        "--input",
        str(source),
        "--subtasks",
        "3",
        "--providers",
        "2",
        "--out",
        str(out),
        "--json",
    ]
    env = {**__import__("os").environ, "INTEROP_GRPCLIB_STUBS": str(stub_file)}
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=150, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report, done.stdout
    (manifest,) = out.glob(f"*{results.MANIFEST_SUFFIX}")
    _, lines = results.read_manifest(manifest)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [manifest.name, *(line["file"] for line in lines), *(p.name for p in out.glob("*.input.*"))]
    )
    found = sorted((out / line["file"]).read_text() for line in lines)
    assert found == ["ALPHA", "BETA", "GAMMA"]
