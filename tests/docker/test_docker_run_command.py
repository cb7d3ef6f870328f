"""`tutorial-app run --runtime docker`: a whole task with every app in the image."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from tutorial_app.search import pow

pytestmark = [pytest.mark.docker, pytest.mark.timeout(180)]

SUBTASKS = 3


def test_run_with_the_docker_runtime(docker_image: str, tmp_path: Path) -> None:
    source = tmp_path / "input.txt"
    source.write_text("Proof of work in the app image.\n", encoding="utf-8")
    out = tmp_path / "results"
    command = [sys.executable, "-m", "tutorial_app.cli", "run", str(source)]
    options = ["--runtime", "docker", "--difficulty", "10", "--subtasks", str(SUBTASKS)]
    options += ["--providers", "2", "--out", str(out), "--json"]
    done = subprocess.run(
        command + options, capture_output=True, text=True, timeout=150, check=False
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "finished" and report["verified"] == SUBTASKS, report
    results = sorted(out.glob(f"{report['task_id']}-*.zip"))  # beside the manifest and input
    assert len(results) == SUBTASKS
    for result in results:
        with zipfile.ZipFile(result) as archive:
            proof = pow.parse_result(archive.read("result.txt").decode("utf-8"))
        assert int(proof.hash_hex, 16) < pow.target(10)
