"""Files replaced whole; made durable, data first, then the name (the directory)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from golem_task_api.node.network import results
from golem_task_api.wire import durable


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What reaches the disk, in order: `fsync file NAME`, `fsync dir NAME`, `rename NAME`."""
    seen: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        kind = "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        name = Path(os.readlink(f"/proc/self/fd/{fd}")).name
        seen.append(f"fsync {kind} {name}")
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        seen.append(f"rename {Path(dst).name}")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    return seen


def test_durable_means_data_then_rename_then_directory(tmp_path: Path, steps: list[str]) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"old")
    durable.write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert steps[0].startswith("fsync file .state.json.")
    assert steps[1:] == ["rename state.json", f"fsync dir {tmp_path.name}"]
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_not_durable_skips_the_fsyncs(tmp_path: Path, steps: list[str]) -> None:
    durable.write_bytes(tmp_path / "spare", b"x", durable=False)
    assert steps == ["rename spare"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"old")

    def half(handle: object) -> None:
        handle.write(b"ne")  # type: ignore[attr-defined]
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        durable.replace(target, half)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_result_name_lasts_before_its_manifest_line(tmp_path: Path, steps: list[str]) -> None:
    """After a machine crash the manifest must not name a file the directory lost."""
    source = tmp_path / "sub-1.zip"
    source.write_bytes(b"result")
    out = results.OutDir(tmp_path / "out", "task-1")
    out.start([source], {"params": {}})
    steps.clear()
    out.publish(source, "sub-1", {})
    assert steps[0].startswith("fsync file .task-1-sub-1.zip.")
    assert steps[1:] == [
        "rename task-1-sub-1.zip",
        "fsync dir out",
        "fsync file task-1.manifest.jsonl",
    ]
