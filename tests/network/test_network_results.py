"""--out, the work root and the status line, one unit at a time."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from golem_task_api.node.network import results, workroot
from golem_task_api.node.network.progress import WIDTH, TextProgress, status_line
from golem_task_api.node.network.report import Stats


def test_published_results_carry_the_task_id_and_a_manifest(tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("text")
    (tmp_path / "r.zip").write_bytes(b"result")
    out = results.OutDir(tmp_path / "out", "task-1")
    out.start([tmp_path / "in.txt"], {"params": {"difficulty": 3}, "subtasks": 2})
    out.start([tmp_path / "in.txt"], {"params": {}, "subtasks": 2})  # once per task
    target = out.publish(tmp_path / "r.zip", "s1", {"nonce": 7})
    assert target == tmp_path / "out" / "task-1-r.zip"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "task-1-r.zip", "task-1.input.in.txt", "task-1.manifest.jsonl",
    ]  # fmt: skip
    task, lines = results.read_manifest(out.manifest)
    assert task["params"] == {"difficulty": 3} and task["inputs"][0]["sha256"] == (
        results.sha256_of(tmp_path / "in.txt")
    )
    assert lines == [{"kind": "result", "subtask_id": "s1", "file": "task-1-r.zip",
                      "sha256": results.sha256_of(target), "nonce": 7}]  # fmt: skip
    assert out.published() == {"s1": "task-1-r.zip"} and out.files() == [target]


def test_a_failed_copy_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        results.publish_file(tmp_path / "missing", tmp_path / "target")
    assert list(tmp_path.iterdir()) == []


def test_out_dir_checks(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    assert "is not a directory" in str(results.check_out_dir(tmp_path / "file", "t", False))
    under = results.check_out_dir(tmp_path / "file" / "out", "t", False)
    assert under is not None and "not a writable directory" in under
    assert results.check_out_dir(tmp_path / "new" / "deeper", "t", False) is None
    assert not (tmp_path / "new").exists()  # checking creates nothing
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "t-r.zip").write_text("ours")
    assert results.check_out_dir(tmp_path / "new", "t", False) is None
    (tmp_path / "new" / "other.zip").write_text("theirs")
    refused = results.check_out_dir(tmp_path / "new", "t", False)
    assert refused is not None and "1 other file(s) (e.g. other.zip)" in refused
    assert results.check_out_dir(tmp_path / "new", "t", True) is None


def test_out_dir_in_proc_is_refused() -> None:
    """Not creatable even for root (read-only directories are not, for root)."""
    refused = results.check_out_dir(Path("/proc/results"), "t", False)
    assert refused is not None and "not a writable directory" in refused


def test_ledger_replays_and_skips_a_torn_line(tmp_path: Path) -> None:
    ledger = workroot.Ledger.open(tmp_path)
    ledger.write("a", "started", provider="p1")
    ledger.write("a", "delivered", result="a.zip", details={"n": 1})
    ledger.write("b", "started", provider="p2")
    ledger.write("b", "verified", work=5.0)
    with ledger.path.open("a") as handle:
        handle.write('{"subtask_id": "c", "sta')
    again = workroot.Ledger.open(tmp_path)
    assert set(again.unsettled()) == {"a"} and again.entries["a"].details == {"n": 1}
    assert set(again.verified()) == {"b"} and again.entries["b"].work == 5.0


def test_a_held_work_root_is_refused(tmp_path: Path) -> None:
    fd = workroot.lock(tmp_path)
    try:
        assert workroot.in_use(tmp_path) and not workroot.is_idle(tmp_path)
        with pytest.raises(workroot.WorkRootBusy, match=f"pid {os.getpid()}"):
            workroot.lock(tmp_path)  # another open file description: flock says no
    finally:
        workroot.unlock(fd)
    assert workroot.is_idle(tmp_path)


def test_eta_from_the_benchmark_then_from_the_measured_rate() -> None:
    stats = Stats(subtasks=4, work=0.0, expected_work=2.0**20)
    stats.ended_at = stats.started_at + 1.0
    assert stats.eta() is None
    stats.benchmark_rate = 2.0**20
    assert stats.eta() == (3.0, "benchmark")  # 4 s of work, 1 s of it spent
    stats.verified = 2  # one from an earlier run
    stats.verified_now = 1
    stats.ended_at = stats.started_at + 2.0
    assert stats.eta() == (4.0, "measured")  # 2 left at one subtask per 2 s


def test_status_line_fits_and_says_what_to_expect() -> None:
    stats = Stats(subtasks=100_000, verified=99_999, running=100, failed_attempts=12345,
                  work=1e18, expected_work=2.0**40, benchmark_rate=1e7)  # fmt: skip
    stats.verified_now = 1
    line = status_line(stats, "hashes")
    assert len(line) <= WIDTH and line.startswith("verified 99999/100000 | 100 running")
    assert "ETA" in line
    stats.verified_now = 0
    stats.verified, stats.failed_attempts, stats.running = 0, 0, 2
    stats.subtasks = 4
    line = status_line(stats, "hashes")  # before the first result: the benchmark's rate
    assert line.startswith("verified 0/4 | 2 running | 0 failed | ~10.0 M hashes/s | ")


async def test_many_subtasks_give_summary_lines_not_one_per_subtask() -> None:
    stream = io.StringIO()
    display = TextProgress("hashes", stream=stream)
    stats = Stats(subtasks=200, work=0.0)
    display.task_created("task-1", stats)
    for n in range(200):
        stats.verified = stats.verified_now = n + 1
        display.subtask_verified(f"s{n}", "p", 0.1)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "task task-1: 200 subtasks"
    assert len(lines) == 11 and lines[-1].startswith("verified 200/200")
    verbose = io.StringIO()
    display = TextProgress("hashes", stream=verbose, verbose=True)
    display.task_created("task-1", Stats(subtasks=200))
    display.subtask_verified("s1", "p", 0.1)
    assert "subtask s1 verified (p, 0.1 s)" in verbose.getvalue()
