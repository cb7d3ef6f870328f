"""The provider handler in-process: a result, and every bad input refused."""

from __future__ import annotations

import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest
from golem_task_api.app.threading import Executor
from golem_task_api.wire.dirutils import ProviderTaskDir
from tutorial_app.files import zips
from tutorial_app.handlers.provider import ComputeInterrupted, ProviderHandler
from tutorial_app.search import pow


@pytest.fixture
def provider_dir(tmp_path: Path) -> ProviderTaskDir:
    directory = ProviderTaskDir(tmp_path / "provider")
    directory.prepare()
    zips.write_zip(directory.subtask_inputs_dir / "s1.zip", "input.txt", "hello salt")
    return directory


async def test_compute_writes_a_valid_result(provider_dir: ProviderTaskDir) -> None:
    result = await ProviderHandler().compute(
        provider_dir, "s1", {"difficulty": 8, "resources": ["s1.zip"]}
    )
    assert result == Path("s1.zip")
    line = zips.read_text_member(provider_dir / result, zips.MAX_RESULT_BYTES, "result")
    pow.check_proof("hello salt", 8, pow.parse_result(line))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"difficulty": 8, "resources": []}, "exactly one zip file name"),
        ({"difficulty": 8, "resources": ["a.zip", "b.zip"]}, "exactly one zip file name"),
        ({"difficulty": 8, "resources": ["../s1.zip"]}, "plain file name"),
        ({"difficulty": 8, "resources": ["s1.txt"]}, "must be a .zip file"),
        ({"difficulty": 8, "resources": ["nope.zip"]}, "is missing"),
        ({"difficulty": 999, "resources": ["s1.zip"]}, "between 0 and 256"),
        ({"resources": ["s1.zip"]}, "'difficulty' must be an integer"),
        ({"difficulty": 8, "resources": ["s1.zip"], "x": 1}, "unknown subtask parameters"),
    ],
)
async def test_bad_params(provider_dir: ProviderTaskDir, params: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        await ProviderHandler().compute(provider_dir, "s1", params)


async def test_bad_input_zips(provider_dir: ProviderTaskDir) -> None:
    inputs = provider_dir.subtask_inputs_dir
    (inputs / "bad.zip").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="the input zip is 7 bytes: too short for a zip"):
        await ProviderHandler().compute(
            provider_dir, "s1", {"difficulty": 1, "resources": ["bad.zip"]}
        )
    with zipfile.ZipFile(inputs / "latin.zip", "w") as archive:
        archive.writestr("i", b"\xff")
    with pytest.raises(ValueError, match="not valid UTF-8"):
        await ProviderHandler().compute(
            provider_dir, "s1", {"difficulty": 1, "resources": ["latin.zip"]}
        )
    with pytest.raises(ValueError, match="a subtask id must be"):
        await ProviderHandler().compute(
            provider_dir, "../x", {"difficulty": 1, "resources": ["s1.zip"]}
        )


async def test_shutdown_interrupts_the_search(provider_dir: ProviderTaskDir) -> None:
    Executor.reset()
    timer = threading.Timer(0.3, Executor.request_shutdown)
    timer.start()
    try:
        with pytest.raises(ComputeInterrupted, match="interrupted"):
            await ProviderHandler().compute(
                provider_dir, "s1", {"difficulty": 256, "resources": ["s1.zip"]}
            )
    finally:
        timer.cancel()
        Executor.reset()
    # Difficulty 256 never ends on its own: returning at all is the interrupt working.
    assert not (provider_dir / "s1.zip").exists()
