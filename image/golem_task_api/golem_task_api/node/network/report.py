"""What the local network tells its observers, and the report of a run."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class TaskStatus(enum.StrEnum):
    RUNNING = "running"
    #: Every subtask verified; the outputs were copied out.
    FINISHED = "finished"
    #: Gave up: too many failed attempts, or the app refused the task.
    FAILED = "failed"
    #: Stopped by the user (Ctrl-C) before the end.
    INTERRUPTED = "interrupted"


class RunInterrupted(Exception):
    """Something other than the user stopped the run (a cluster's scheduler was lost):
    it ends as an interruption, work dir kept, with the message as its error."""


@dataclass
class Stats:
    """Running totals, shared by the node (writer) and the display (reader)."""

    subtasks: int = 0
    verified: int = 0
    running: int = 0
    failed_attempts: int = 0
    retried: int = 0
    #: Units of verified work (hashes for the tutorial app); None if not measured.
    work: float | None = None
    #: Verified in this run (a resumed run starts with earlier ones in `verified`).
    verified_now: int = 0
    #: Expected units of work per subtask, and a benchmark's units/s, for the ETA.
    expected_work: float | None = None
    benchmark_rate: float | None = None
    started_at: float = field(default_factory=time.monotonic)
    ended_at: float | None = None

    def elapsed(self) -> float:
        end = self.ended_at if self.ended_at is not None else time.monotonic()
        return max(end - self.started_at, 0.0)

    def rate(self) -> float | None:
        elapsed = self.elapsed()
        if self.work is None or elapsed <= 0:
            return None
        return self.work / elapsed

    def eta(self) -> tuple[float, str] | None:
        """Seconds left and what they come from: "measured" (this run's subtasks per
        second, start-up and file moves included) or "benchmark" (before the first
        result: the work left over the benchmark's rate, less the time already spent
        on it)."""
        left = self.subtasks - self.verified
        if self.verified_now:
            return left * self.elapsed() / self.verified_now, "measured"
        if self.expected_work is not None and self.benchmark_rate:
            estimate = left * self.expected_work / self.benchmark_rate
            return max(estimate - self.elapsed(), 0.0), "benchmark"
        return None


@dataclass
class Report:
    """The outcome of one `run`: what `--json` prints and the summary shows."""

    task_id: str
    status: TaskStatus
    stats: Stats
    work_unit: str | None = None
    work_label: str | None = None
    error: str | None = None
    outputs: list[Path] = field(default_factory=list)
    out_dir: Path | None = None
    #: Kept only when the user asked (`--work-root`/`--keep-work`).
    work_root: Path | None = None
    task_dir: Path | None = None
    #: The one command that carries on with an interrupted run.
    resume_command: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is TaskStatus.FINISHED

    def to_json(self) -> dict[str, Any]:
        stats = self.stats
        rate = stats.rate()
        return {
            "task_id": self.task_id,
            "status": self.status.value,
            "ok": self.ok,
            "subtasks": stats.subtasks,
            "verified": stats.verified,
            "retried": stats.retried,
            "failed_attempts": stats.failed_attempts,
            "wall_time_s": round(stats.elapsed(), 3),
            "work": stats.work,
            "work_unit": self.work_unit,
            "work_rate_per_s": None if rate is None else round(rate, 1),
            "work_measure": self.work_label,
            "error": self.error,
            "outputs": [str(path) for path in self.outputs],
            "out_dir": None if self.out_dir is None else str(self.out_dir),
            "work_root": None if self.work_root is None else str(self.work_root),
            "task_dir": None if self.task_dir is None else str(self.task_dir),
            "resume_command": self.resume_command,
        }


class Observer(Protocol):
    """Receives the network's events; the progress display is one."""

    def task_created(self, task_id: str, stats: Stats) -> None: ...

    def subtask_started(self, subtask_id: str, provider: str) -> None: ...

    def subtask_verified(self, subtask_id: str, provider: str, seconds: float) -> None: ...

    def subtask_failed(
        self, subtask_id: str, provider: str, reason: str, will_retry: bool
    ) -> None: ...

    def message(self, text: str) -> None: ...

    def finished(self, report: Report) -> None: ...


class NullObserver:
    """For `--quiet`: says nothing."""

    def task_created(self, task_id: str, stats: Stats) -> None:
        pass

    def subtask_started(self, subtask_id: str, provider: str) -> None:
        pass

    def subtask_verified(self, subtask_id: str, provider: str, seconds: float) -> None:
        pass

    def subtask_failed(self, subtask_id: str, provider: str, reason: str, will_retry: bool) -> None:
        pass

    def message(self, text: str) -> None:
        pass

    def finished(self, report: Report) -> None:
        pass
