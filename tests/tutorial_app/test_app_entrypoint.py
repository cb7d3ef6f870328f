"""The app's command line: bad arguments are a usage error, not a traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tutorial_app import entrypoint

from tests.tutorial_app.support import APP_COMMAND


@pytest.mark.parametrize("argv", [[], ["farmer", "4000"], ["provider", "port"], ["requestor"]])
def test_bad_command_line_exits_with_usage(argv: list[str], tmp_path: Path) -> None:
    done = subprocess.run(
        [*APP_COMMAND, *argv, "--work-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "usage" in done.stderr and "Traceback" not in done.stderr


def test_default_work_dir_is_the_container_mount() -> None:
    assert Path("/golem/work") == entrypoint.DEFAULT_WORK_DIR
