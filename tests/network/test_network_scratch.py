"""Where provider work dirs go: in memory for a run that keeps nothing, else under the root."""

from __future__ import annotations

import functools
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from golem_task_api import cli as golem_cli
from golem_task_api.node.network import node, run_options, scratch
from tutorial_app.cli import parser as tutorial_parser

from tests.network import fake_apps
from tests.network.fake_apps import FakeRequestor


@pytest.fixture
def ram(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A dir the module takes for a tmpfs (a fake mounts table says so)."""
    ram = tmp_path / "ram disk"
    ram.mkdir()
    mounts = tmp_path / "mounts"
    escaped = str(ram).replace(" ", "\\040")
    mounts.write_text(f"/dev/vda / ext4 rw 0 0\ntmpfs {escaped} tmpfs rw 0 0\n")
    monkeypatch.setattr(scratch, "MOUNTS", mounts)
    monkeypatch.setattr(scratch, "CANDIDATES", ("$NO_SUCH_VARIABLE_FOR_SURE", str(ram)))
    return ram


def test_a_tmpfs_with_room_is_taken(ram: Path) -> None:
    assert scratch.memory_dir(need=1) == ram


def test_not_when_it_lacks_room(ram: Path) -> None:
    assert scratch.memory_dir(need=1 << 62) is None


def test_not_when_it_is_a_disk(ram: Path, tmp_path: Path) -> None:
    # A later mount on a deeper point decides: here a disk mounted over the tmpfs.
    with scratch.MOUNTS.open("a") as mounts:
        mounts.write(f"/dev/vdb {str(ram).replace(' ', chr(92) + '040')} ext4 rw 0 0\n")
    assert scratch.memory_dir(need=1) is None


def test_no_mounts_table_means_disk(ram: Path, tmp_path: Path) -> None:
    scratch.MOUNTS.unlink()
    assert scratch.memory_dir(need=1) is None
    dirs = scratch.provider_dirs(tmp_path / "root", in_memory=True)
    assert dirs == scratch.ProviderDirs(tmp_path / "root" / "providers")


def test_provider_dirs_in_memory_are_removed(ram: Path, tmp_path: Path) -> None:
    dirs = scratch.provider_dirs(tmp_path / "root", in_memory=True)
    assert dirs.lock is not None and dirs.root.parent == ram
    assert dirs.root.name.startswith("golem-providers-")
    (dirs.root / "sub-1").mkdir()
    dirs.remove()
    assert list(ram.iterdir()) == []
    on_disk = scratch.provider_dirs(tmp_path / "root", in_memory=False)
    assert on_disk.root == tmp_path / "root" / "providers" and on_disk.lock is None
    on_disk.remove()  # not ours to remove: a no-op


@pytest.mark.parametrize(
    ("label", "prefix"),
    [
        ("w-0", "golem-providers-w-0-"),
        ("tls://127.0.0.1:8786", "golem-providers-tls___127.0.0.1_8786-"),
    ],
)
def test_a_label_names_the_dir_as_a_file_name_part(
    ram: Path, tmp_path: Path, label: str, prefix: str
) -> None:
    """A cluster worker's name (which may be its address) marks its dir, path-safe."""
    dirs = scratch.provider_dirs(tmp_path / "root", in_memory=True, label=label)
    assert dirs.root.parent == ram and dirs.root.name.startswith(prefix)
    dirs.remove()


def test_dirs_of_runs_that_are_gone_are_swept(ram: Path, tmp_path: Path) -> None:
    """A run killed outright leaves its dir in memory; the next run removes it, and only it."""
    left = ram / f"{scratch.PREFIX}gone"
    (left / "sub-1").mkdir(parents=True)
    (left / "sub-1" / "result.zip").write_bytes(b"x")
    other = ram / "someone-elses"
    other.mkdir()
    live = scratch.provider_dirs(tmp_path / "a", in_memory=True)
    assert not left.exists() and other.is_dir()
    (live.root / "sub-2").mkdir()
    second = scratch.provider_dirs(tmp_path / "b", in_memory=True)  # the live one is held
    assert (live.root / "sub-2").is_dir() and second.root != live.root
    assert scratch.sweep(ram) == []
    second.remove()
    live.remove()
    assert sorted(p.name for p in ram.iterdir()) == ["someone-elses"]


@pytest.fixture
def run_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Runs a LocalNetwork with fake apps; returns (report, the providers' work dirs)."""
    (tmp_path / "input.txt").write_text("hello")
    seen: list[Path] = []

    async def run(**overrides: Any) -> Any:
        def make_service(work_dir: Path) -> Any:
            if work_dir.name != "requestor":
                seen.append(work_dir)
            return SimpleNamespace(work_dir=work_dir)

        fake_apps.install(
            monkeypatch,
            lambda service: FakeRequestor(service.work_dir / "task-1", 3, []),
            lambda service, sid: service.work_dir,
        )
        config = node.NetworkConfig(
            inputs=[tmp_path / "input.txt"],
            task_params={},
            subtasks=3,
            providers=2,
            make_service=make_service,
            tls=False,
            task_id="task-1",
            **overrides,
        )
        return await node.LocalNetwork(config).run(), seen

    return run


async def test_a_run_that_keeps_nothing_puts_provider_dirs_in_memory(
    ram: Path, run_network: Any
) -> None:
    report, seen = await run_network(providers_in_memory=True)
    assert report.ok, report.error
    assert len(seen) == 3 and len(set(seen)) == 3  # one fresh dir per subtask
    assert {work_dir.parent.parent for work_dir in seen} == {ram}
    assert list(ram.iterdir()) == []  # removed with the run


async def test_a_run_that_keeps_its_work_dirs_keeps_them_on_disk(
    ram: Path, run_network: Any, tmp_path: Path
) -> None:
    report, seen = await run_network(providers_in_memory=True, keep_work=True)
    assert report.ok, report.error
    assert {work_dir.parent for work_dir in seen} == {report.work_root / "providers"}
    assert all((work_dir / "subtask_inputs").is_dir() for work_dir in seen)
    assert list(ram.iterdir()) == []


async def test_on_disk_unless_asked(ram: Path, run_network: Any, tmp_path: Path) -> None:
    root = tmp_path / "temporary root"
    report, seen = await run_network(work_root=root, temporary_root=True)
    assert report.ok, report.error
    assert {work_dir.parent for work_dir in seen} == {root / "providers"}
    assert not root.exists()  # a temporary root goes, its provider dirs with it


@pytest.mark.parametrize(
    ("build_parser", "run_args", "default"),
    [
        # Ours: a provider dir holds one part's input and a 200-byte result.
        (tutorial_parser.build_parser, ["run", "input.txt"], True),
        # Any app's: its provider dirs may be as big as it likes.
        (golem_cli.build_parser, ["run", "--app", "app"], False),
    ],
    ids=["tutorial-app", "golem-task-api"],
)
def test_each_cli_chooses_its_default(
    build_parser: Any, run_args: list[str], default: bool
) -> None:
    parser = build_parser()

    def in_memory(args: list[str]) -> bool:
        app = functools.partial(node.NetworkConfig, inputs=[], task_params={}, make_service=None)
        config = run_options.network_config(parser, parser.parse_args(args), app, None)
        return config.providers_in_memory

    assert in_memory(run_args) is default
    for flag, expected in (("memory", True), ("disk", False)):
        assert in_memory([*run_args, "--provider-dirs", flag]) is expected
