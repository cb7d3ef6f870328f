"""The live display of a local network run: a status line and a summary, plain text.

Everything goes to stderr so stdout stays free for `--json`. On a terminal
one status line (at most 79 columns) is redrawn in place twice a second;
elsewhere (a pipe, CI) it is printed every `PIPE_EVERY` seconds and at
every tenth of the task. A line per verified subtask is printed only when
there are few subtasks (`MANY`) or with `--verbose`; failures always. No
third-party package is needed, so a plain install can show it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sys
import time
from typing import TextIO

from golem_task_api.node.network.report import Report, Stats

#: Above this many subtasks, the status line stands in for per-subtask lines.
MANY = 20
TTY_EVERY = 0.5
PIPE_EVERY = 30.0
WIDTH = 79
#: Warn when a subtask is expected to take longer than this.
LONG_SUBTASK_S = 3600.0


def format_count(value: float) -> str:
    for factor, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= factor:
            return f"{value / factor:.1f} {prefix}"
    return f"{value:.0f}"


def format_rate(rate: float | None, unit: str | None) -> str:
    """`12.3 M hashes/s`; a dash when nothing was measured yet."""
    if rate is None or unit is None:
        return "-"
    return f"{format_count(rate)} {unit}/s".replace("  ", " ")


def format_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        return f"{int(minutes)} min {rest:.0f} s"
    if seconds < 86400 * 2:
        hours, rest = divmod(seconds, 3600)
        return f"{int(hours)} h {rest / 60:.0f} min"
    return f"{seconds / 86400:.1f} days"


def format_clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def status_line(stats: Stats, unit: str | None) -> str:
    """`verified 3/8 | 2 running | 0 failed | 4.5 M hashes/s | 0:12 | ETA 20.1 s`."""
    counts = [f"verified {stats.verified}/{stats.subtasks}", f"{stats.running} running"]
    counts.append(f"{stats.failed_attempts} failed")
    rate = []
    if stats.verified_now and unit is not None:
        rate.append(format_rate(stats.rate(), unit))
    elif stats.benchmark_rate and unit is not None:
        rate.append(f"~{format_rate(stats.benchmark_rate, unit)}")  # the benchmark's
    clock = [format_clock(stats.elapsed())]
    eta = stats.eta()
    left = [f"ETA {format_seconds(eta[0])}"] if eta and stats.verified < stats.subtasks else []
    # The least useful part goes first when the line is too long: the rate, then the clock.
    for parts in (counts + rate + clock + left, counts + clock + left, counts + left):
        line = " | ".join(parts)
        if len(line) <= WIDTH:
            return line
    return line[:WIDTH]


class TextProgress:
    """An `Observer` that prints plain text: event lines, a status line, a summary."""

    def __init__(
        self,
        work_unit: str | None = None,
        work_label: str | None = None,
        stream: TextIO | None = None,
        summary: bool = True,
        verbose: bool = False,
    ) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        utf8 = (getattr(self.stream, "encoding", "") or "").lower().replace("-", "") == "utf8"
        self._ok, self._bad = ("✓", "✗") if utf8 else ("+", "x")
        self._unit = work_unit
        self._label = work_label
        self._summary = summary
        self._verbose = verbose
        self._stats = Stats()
        self._ticker: asyncio.Task[None] | None = None
        self._warned = False
        self._tenth = 0

    def task_created(self, task_id: str, stats: Stats) -> None:
        self._stats = stats
        header = f"task {task_id}: {stats.subtasks} subtasks"
        if stats.verified:
            header += f", {stats.verified} done before"
        if stats.expected_work is not None and self._unit is not None:
            power = math.log2(stats.expected_work) if stats.expected_work > 0 else 0.5
            exact = f"2^{power:.0f} = " if power.is_integer() else ""
            header += f"; each needs about {exact}{format_count(stats.expected_work)} {self._unit}"
        self._event(header.replace("  ", " "))
        self._tenth = stats.verified * 10 // max(stats.subtasks, 1)
        with contextlib.suppress(RuntimeError):  # no loop: a test driving it by hand
            self._ticker = asyncio.get_running_loop().create_task(self._tick())

    def subtask_started(self, subtask_id: str, provider: str) -> None:
        self._draw()

    def subtask_verified(self, subtask_id: str, provider: str, seconds: float) -> None:
        if self._verbose or self._stats.subtasks <= MANY:
            took = format_seconds(seconds)
            self._event(f"{self._ok} subtask {subtask_id} verified ({provider}, {took})")
        elif not self.tty:
            tenth = self._stats.verified * 10 // max(self._stats.subtasks, 1)
            if tenth > self._tenth:
                self._tenth = tenth
                self._event(status_line(self._stats, self._unit))
        self._draw()

    def subtask_failed(self, subtask_id: str, provider: str, reason: str, will_retry: bool) -> None:
        then = "handing it out again" if will_retry else "giving up"
        self._event(f"{self._bad} subtask {subtask_id} failed on {provider}: {reason}; {then}")

    def message(self, text: str) -> None:
        self._event(text)

    def finished(self, report: Report) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        if self.tty:
            self.stream.write("\r\x1b[K")
        if report.stats.subtasks:
            self.stream.write(status_line(report.stats, self._unit) + "\n")
        if self._summary:
            self.stream.write(summary_text(report, self._label))
        self.stream.flush()

    async def _tick(self) -> None:
        printed = time.monotonic()
        while True:
            await asyncio.sleep(TTY_EVERY)
            self._warn_if_long()
            if self.tty:
                self._draw()
            elif time.monotonic() - printed >= PIPE_EVERY:
                printed = time.monotonic()
                self._event(status_line(self._stats, self._unit))

    def _warn_if_long(self) -> None:
        stats = self._stats
        if self._warned or stats.expected_work is None or not stats.benchmark_rate:
            return
        self._warned = True
        each = stats.expected_work / stats.benchmark_rate
        if each > LONG_SUBTASK_S:
            self._event(
                f"warning: each subtask needs about {format_seconds(each)} at "
                f"{format_rate(stats.benchmark_rate, self._unit)} (this machine's benchmark)"
            )

    def _draw(self) -> None:
        if self.tty and self._ticker is not None:
            self.stream.write("\r\x1b[K" + status_line(self._stats, self._unit))
            self.stream.flush()

    def _event(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
        self.stream.write(text + "\n")
        self._draw()
        self.stream.flush()


def summary_text(report: Report, work_label: str | None = None) -> str:
    stats = report.stats
    rows = [
        ("status", report.status.value),
        ("verified", f"{stats.verified} / {stats.subtasks}"),
        ("retried", str(stats.retried)),
        ("failed attempts", str(stats.failed_attempts)),
        ("wall time", format_seconds(stats.elapsed())),
    ]
    if report.work_unit is not None:
        rate = format_rate(stats.rate(), report.work_unit)
        rows.append(("total rate", f"{rate} over wall time"))
        if work_label:
            rows.append((f"{report.work_unit} counted", work_label))
    if report.out_dir is not None and report.outputs:
        rows.append(("results", f"{report.out_dir} ({len(report.outputs)} files)"))
    if report.task_dir is not None:
        rows.append(("task dir", str(report.task_dir)))
    if report.error:
        rows.append(("error", report.error))
    lines = [f"task {report.task_id}"] + [f"  {key:<16} {value}" for key, value in rows]
    return "\n".join(lines) + "\n"
