"""What `tutorial-app status` shows: a task's parts, or a work root's tasks.

Plain text that fits 80 columns (long ids and reasons are cut with `...`),
the same on a terminal and in a pipe. A subtask still in progress in a
work root that no run holds any more had a provider that is gone: it is
shown as `interrupted` (the saved state is not changed; a resumed run
aborts it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tutorial_app.core.state import PartStatus, TaskState

WIDTH = 80
#: With more parts than this, done and pending parts are counted, not listed (unless --all).
LIST_LIMIT = 100
INTERRUPTED = "interrupted"
_ACTIVE = (PartStatus.IN_PROGRESS.value, PartStatus.VERIFYING.value)


def status_json(task_dir: Path, task: TaskState, providers_gone: bool) -> dict[str, Any]:
    parts = []
    for index, part in enumerate(task.parts):
        last = task.subtasks[part.last] if part.last is not None else None
        gone = providers_gone and part.status.value in _ACTIVE
        parts.append(
            {
                "part": index,
                "status": part.status.value,
                "interrupted": gone,
                "subtask_id": part.subtask_id,
                "attempts": task.attempts(index),
                "node": last.node if last else None,
                "reason": last.reason if last else None,
            }
        )
    totals = {status.value: task.count(status) for status in PartStatus}
    totals[INTERRUPTED] = sum(1 for p in parts if p["interrupted"])
    return {
        "task_dir": str(task_dir),
        "task_id": task_dir.name,
        "difficulty": task.difficulty,
        "aborted": task.aborted,
        "finished": task.is_finished(),
        "interrupted": totals[INTERRUPTED] > 0,
        "parts": parts,
        "totals": {
            "parts": len(task.parts),
            **totals,
            "subtasks": sum(task.attempts(i) for i in range(len(task.parts))),
        },
    }


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 3, 0)] + "..."


def task_state(data: dict[str, Any]) -> str:
    if data["finished"]:
        return "finished"
    if data["aborted"]:
        return "aborted"
    return "interrupted" if data["interrupted"] else "not finished"


def render_task(data: dict[str, Any], show_all: bool = False) -> str:
    totals = data["totals"]
    head = f"task {data['task_id']} (difficulty {data['difficulty']}): {task_state(data)}"
    lines = [cut(head, WIDTH)]
    rows = [
        (
            str(p["part"]),
            INTERRUPTED if p["interrupted"] else p["status"],
            str(p["attempts"]),
            p["subtask_id"] or "-",
            p["node"] or "-",
            p["reason"] or "-",
        )
        for p in data["parts"]
    ]
    hidden = ""
    if len(rows) > LIST_LIMIT and not show_all:
        quiet = (PartStatus.DONE.value, PartStatus.PENDING.value)
        shown = [r for r in rows if r[1] not in quiet]
        hidden = f"{totals['done']} done and {totals['pending']} pending"
        rows = shown
    header = ("part", "status", "tries", "subtask", "node", "last reason")
    widths = [max(len(header[0]), *(len(r[0]) for r in rows)) if rows else 4, 11, 5]
    widths.append(min(18, max([len(header[3]), *(len(r[3]) for r in rows)])))
    widths.append(min(12, max([len(header[4]), *(len(r[4]) for r in rows)])))
    widths.append(max(WIDTH - 1 - sum(widths) - 2 * len(widths), 10))
    for row in (header, *rows):
        cells = [cut(cell, width).ljust(width) for cell, width in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
    if hidden:
        lines.append(f"({hidden} parts not listed; --all lists them)")
    lines.append(
        f"{totals['done']}/{totals['parts']} parts done; {totals['subtasks']} subtasks handed out"
    )
    others = [s.value for s in PartStatus if s is not PartStatus.DONE] + [INTERRUPTED]
    counts = ", ".join(f"{totals[s]} {s}" for s in others if totals.get(s))
    if counts:
        lines.append(cut(f"not done: {counts}", WIDTH))
    return "\n".join(lines) + "\n"


def render_root(root: Path, tasks: list[dict[str, Any]], resume: str | None) -> str:
    lines = [f"work root {root}: {len(tasks)} task(s)"]  # a path is never cut
    for data in tasks:
        totals = data["totals"]
        line = f"  {data['task_id']}  {totals['done']}/{totals['parts']} done  {task_state(data)}"
        lines.append(cut(line, WIDTH))
    if resume:
        lines.append(f"resume with: {resume}")
    return "\n".join(lines) + "\n"
