"""The node's file moves refuse names and paths that leave their directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from golem_task_api.node import moves
from golem_task_api.node.network.progress import format_rate, format_seconds, summary_text
from golem_task_api.node.network.report import Report, Stats, TaskStatus


def test_resources_move_from_requestor_to_provider(tmp_path: Path) -> None:
    source, target = tmp_path / "req", tmp_path / "prov" / "subtask_inputs"
    source.mkdir()
    (source / "a.zip").write_bytes(b"zip")
    moves.copy_resources(source, ["a.zip"], target)
    assert (target / "a.zip").read_bytes() == b"zip"


@pytest.mark.parametrize("name", ["../secret", "a/b", "", "..", "."])
def test_resource_names_must_be_plain(tmp_path: Path, name: str) -> None:
    with pytest.raises(moves.FileMoveError):
        moves.copy_resources(tmp_path, [name], tmp_path / "out")


def test_missing_resource_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(moves.FileMoveError, match="did not write it"):
        moves.copy_resources(tmp_path, ["nope.zip"], tmp_path / "out")


def test_result_keeps_its_name(tmp_path: Path) -> None:
    provider = tmp_path / "prov"
    (provider / "out").mkdir(parents=True)
    (provider / "out" / "r.zip").write_bytes(b"result")
    target = moves.collect_result(provider, Path("out/r.zip"), tmp_path / "req" / "sub-1")
    assert target == tmp_path / "req" / "sub-1" / "r.zip"
    assert target.read_bytes() == b"result"


@pytest.mark.parametrize("path", ["/etc/passwd", "../outside.zip", "link.zip", "missing.zip", "."])
def test_result_path_must_stay_inside(tmp_path: Path, path: str) -> None:
    provider = tmp_path / "prov"
    provider.mkdir()
    (tmp_path / "outside.zip").write_bytes(b"x")
    os.symlink(tmp_path / "outside.zip", provider / "link.zip")
    with pytest.raises(moves.FileMoveError):
        moves.collect_result(provider, path, tmp_path / "req")
    assert not (tmp_path / "req").exists()


def test_inputs_are_copied(tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("x")
    (tmp_path / "task_inputs").mkdir()
    assert moves.copy_inputs([tmp_path / "in.txt"], tmp_path / "task_inputs") == ["in.txt"]
    with pytest.raises(moves.FileMoveError, match="does not exist"):
        moves.copy_inputs([tmp_path / "nope.txt"], tmp_path / "task_inputs")


def test_rates_and_summary() -> None:
    assert format_rate(None, "hashes") == "-"
    assert format_rate(2_500_000, "hashes") == "2.5 M hashes/s"
    assert format_rate(12, "hashes") == "12 hashes/s"
    assert format_seconds(75) == "1 min 15 s"
    stats = Stats(subtasks=4, verified=3, failed_attempts=1, retried=1, work=3e6)
    stats.ended_at = stats.started_at + 2.0
    report = Report("task-1", TaskStatus.FAILED, stats, "hashes", error="boom")
    assert stats.rate() == pytest.approx(1.5e6)
    assert report.to_json()["work_rate_per_s"] == pytest.approx(1.5e6)
    assert report.to_json()["ok"] is False
    text = summary_text(report, "nonce + 1")
    assert "  status           failed\n" in text and "  error            boom\n" in text
    assert "1.5 M hashes/s over wall time" in text


def test_node_side_failures_share_one_base_with_a_reason() -> None:
    from golem_task_api.node.failures import NodeFailure
    from golem_task_api.node.network import apps

    for kind in (moves.FileMoveError, apps.AppStartError, apps.ProviderCrashed):
        failure = kind("the reason")
        assert isinstance(failure, NodeFailure)
        assert failure.reason == "the reason" == apps.describe(failure)
    assert apps.describe(apps.ProviderCrashed()) == "ProviderCrashed"
