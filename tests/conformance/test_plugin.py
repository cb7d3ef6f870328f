"""The pytest plugin: inert without its options; with them, the battery as tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conformance.support import ZOO_APP

pytestmark = pytest.mark.timeout(120)

FIXTURE_TEST = """
import pytest
from golem_task_api.wire.enums import VerifyResult

@pytest.mark.asyncio
async def test_a_subtask_as_the_node_moves_it(task_api_node):
    async with task_api_node.task() as driver:
        handed = await driver.next()
        provider_dir = driver.hand_out(handed)
        assert (provider_dir / "subtask_inputs" / handed.subtask.resources[0]).is_file()
        delivered = await driver.compute(handed)
        assert (await driver.verify(handed.subtask_id))[0] is VerifyResult.SUCCESS
        assert delivered.parent.name == handed.subtask_id
"""


def pytest_in(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (directory / "words.txt").write_text("one two three four five six seven eight")
    (directory / "test_mine.py").write_text(FIXTURE_TEST)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", *args]
    return subprocess.run(
        command, cwd=directory, capture_output=True, text=True, timeout=100, check=False
    )


def test_inert_without_its_options(tmp_path: Path) -> None:
    done = pytest_in(tmp_path)
    assert done.returncode == 0, done.stdout
    assert "1 skipped" in done.stdout and "check-app" not in done.stdout
    assert "no --task-api-app" in done.stdout


def test_the_checks_as_tests_and_the_fixtures(tmp_path: Path) -> None:
    app = f"python {ZOO_APP} negative-benchmark"
    done = pytest_in(
        tmp_path,
        "--task-api-app",
        app,
        "--task-api-input",
        "words.txt",
        "-k",
        "mine or startup or benchmark",
    )
    assert done.returncode == 1, done.stdout
    assert "3 passed" in done.stdout and "1 failed" in done.stdout  # mine, startup x2; benchmark
    assert "provider.benchmark: RunBenchmark gave a negative score -1.0" in done.stdout
