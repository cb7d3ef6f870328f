"""The live display of a local network run: a progress bar and a summary.

Everything goes to stderr so stdout stays free for `--json`. On a terminal
the bar redraws in place; elsewhere (a pipe, CI) only the event lines and
the summary are printed.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from golem_task_api.network.report import Report, Stats, TaskStatus


def format_rate(rate: float | None, unit: str | None) -> str:
    """`12.3 M hashes/s`; a dash when nothing was measured yet."""
    if rate is None or unit is None:
        return "-"
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if rate >= factor:
            return f"{rate / factor:.1f} {prefix} {unit}/s"
    return f"{rate:.0f} {unit}/s"


def format_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)} min {rest:.0f} s"


class _CountsColumn(ProgressColumn):
    """`3 running · 1 failed`, read from the shared stats on every refresh."""

    def __init__(self, stats: Stats) -> None:
        super().__init__()
        self._stats = stats

    def render(self, task: object) -> Text:
        stats = self._stats
        text = Text(f"{stats.running} running", style="cyan")
        text.append(" · ")
        text.append(f"{stats.failed_attempts} failed", style="red" if stats.failed_attempts else "")
        return text


class _RateColumn(ProgressColumn):
    def __init__(self, stats: Stats, unit: str | None) -> None:
        super().__init__()
        self._stats = stats
        self._unit = unit

    def render(self, task: object) -> Text:
        return Text(format_rate(self._stats.rate(), self._unit), style="magenta")


class RichProgress:
    """An `Observer` that draws a rich progress bar and prints a summary table."""

    def __init__(
        self,
        work_unit: str | None = None,
        work_label: str | None = None,
        console: Console | None = None,
        summary: bool = True,
    ) -> None:
        self.console = console or Console(stderr=True)
        self._work_unit = work_unit
        self._work_label = work_label
        self._summary = summary
        self._stats = Stats()
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def task_created(self, task_id: str, stats: Stats) -> None:
        self._stats = stats
        self.console.print(f"[bold]task[/] {task_id}: {stats.subtasks} subtasks", highlight=False)
        columns: list[ProgressColumn | str] = [
            SpinnerColumn(),
            TextColumn("[bold]verified"),
            BarColumn(bar_width=12),
            MofNCompleteColumn(),
            _CountsColumn(stats),
        ]
        if self._work_unit is not None:
            columns.append(_RateColumn(stats, self._work_unit))
        columns.append(TimeElapsedColumn())
        self._progress = Progress(*columns, console=self.console, transient=False)
        self._task = self._progress.add_task("subtasks", total=stats.subtasks)
        self._progress.start()

    def subtask_started(self, subtask_id: str, provider: str) -> None:
        self._refresh()

    def subtask_verified(self, subtask_id: str, provider: str, seconds: float) -> None:
        self._print(
            f"[green]✓[/] subtask {subtask_id} verified "
            f"[dim]({provider}, {format_seconds(seconds)})[/]"
        )
        self._refresh()

    def subtask_failed(self, subtask_id: str, provider: str, reason: str, will_retry: bool) -> None:
        then = "handing it out again" if will_retry else "giving up"
        self._print(f"[red]✗[/] subtask {subtask_id} failed on {provider}: {reason}; {then}")
        self._refresh()

    def message(self, text: str) -> None:
        self._print(text)

    def finished(self, report: Report) -> None:
        self._refresh()
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        if self._summary:
            self.console.print(summary_table(report, self._work_label))

    def _refresh(self) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=self._stats.verified)

    def _print(self, markup: str) -> None:
        target = self._progress.console if self._progress is not None else self.console
        target.print(markup, highlight=False, soft_wrap=True)


_STATUS_STYLE = {
    TaskStatus.FINISHED: "bold green",
    TaskStatus.FAILED: "bold red",
    TaskStatus.INTERRUPTED: "bold yellow",
    TaskStatus.RUNNING: "bold",
}


def summary_table(report: Report, work_label: str | None = None) -> Table:
    stats = report.stats
    table = Table(title=f"task {report.task_id}", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("status", Text(report.status.value, style=_STATUS_STYLE[report.status]))
    table.add_row("subtasks", str(stats.subtasks))
    table.add_row("verified", f"{stats.verified} / {stats.subtasks}")
    table.add_row("retried", str(stats.retried))
    table.add_row("failed attempts", str(stats.failed_attempts))
    table.add_row("wall time", format_seconds(stats.elapsed()))
    if report.work_unit is not None:
        rate = format_rate(stats.rate(), report.work_unit)
        table.add_row("total rate", f"{rate} [dim](over wall time)[/]")
        if work_label:
            table.add_row(f"{report.work_unit} counted", f"[dim]{work_label}[/]")
    if report.out_dir is not None and report.ok:
        table.add_row("results", f"{report.out_dir} ({len(report.outputs)} files)")
    if report.task_dir is not None:
        table.add_row("task dir", str(report.task_dir))
    if report.error:
        table.add_row("error", Text(report.error, style="red"))
    return table
