"""check-app and run on the app image, as the node's Docker CPU environment runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docker.support import IMAGE_REF, INPUT_TEXT

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "golem_task_api.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=580, check=False)


@pytest.fixture
def sample(tmp_path: Path, docker_image: str) -> Path:
    path = tmp_path / "input.txt"
    path.write_text(INPUT_TEXT, encoding="utf-8")
    return path


def test_check_app_on_the_image_through_its_definition(tmp_path: Path, sample: Path) -> None:
    name, tag = IMAGE_REF.rsplit(":", 1)
    definition = tmp_path / "app.json"
    definition.write_text(
        json.dumps(
            {
                "name": "tutorial-app",
                "requestor_env": "docker_cpu",
                "requestor_prereq": {"image": name, "tag": tag},
                "max_benchmark_score": 10000.0,
            }
        )
    )
    checks = ["startup.mtls", "wire.grpclib-no-alpn", "files.work-dir-only"]
    checks += ["publish.definition", "publish.whitelist"]
    args = ["check-app", "--app-definition", str(definition), "--input", str(sample)]
    args += ["--params", '{"difficulty": 8}', "--json"]
    done = cli(*args, *[word for check in checks for word in ("--check", check)])
    report = json.loads(done.stdout)
    outcomes = {c["check"]: c["outcome"] for c in report["checks"]}
    assert done.returncode == 0, done.stdout
    assert outcomes["publish.whitelist"] == "warn"  # golemfactory/ is not golemfactoryapps/
    assert all(outcomes[c] == "pass" for c in checks if c != "publish.whitelist"), outcomes
    assert any(note.startswith("app id (golem.app_id") for note in report["notes"])


def test_a_definition_naming_another_image_fails(tmp_path: Path, sample: Path) -> None:
    definition = tmp_path / "app.json"
    prereq = {"image": "golemfactoryapps/other", "tag": "9.9"}
    definition.write_text(
        json.dumps(
            {
                "name": "x",
                "requestor_env": "docker_cpu",
                "requestor_prereq": prereq,
                "max_benchmark_score": 1.0,
            }
        )
    )
    args = ["check-app", "--image", IMAGE_REF, "--app-definition", str(definition)]
    done = cli(*args, "--input", str(sample), "--check", "publish.definition")
    assert done.returncode == 1
    assert (
        "the definition names golemfactoryapps/other:9.9, but the image checked is" in done.stdout
    )


def test_run_a_whole_task_from_the_image(tmp_path: Path, sample: Path) -> None:
    out = tmp_path / "out"
    done = cli(
        "run",
        "--image",
        IMAGE_REF,
        "--input",
        str(sample),
        "--params",
        '{"difficulty": 8}',
        "--subtasks",
        "2",
        "--providers",
        "1",
        "--out",
        str(out),
        "--work-root",
        str(tmp_path / "work"),
        "--no-tls",
    )
    assert done.returncode == 0, done.stderr
    assert len([p for p in out.iterdir() if p.suffix == ".zip"]) == 2
