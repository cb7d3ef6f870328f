"""Fixtures shared by the `run` / `status` command tests."""

from pathlib import Path

import pytest


@pytest.fixture
def input_file(tmp_path: Path) -> Path:
    """A small task input."""
    path = tmp_path / "input.txt"
    path.write_text("Proof of work on a local Golem network.\n", encoding="utf-8")
    return path
