"""How many subtasks per second a local run gets through at difficulty 0.

At difficulty 0 the search is free (nonce 0 is always valid), so this times
what a local run adds per subtask: a fresh provider process, its work dir
and TLS files, starting its server, one `Compute`, copying the result, and
the requestor's NextSubtask + Verify. For 1 and 2 providers, TLS on and
off, it prints subtasks/s and per-subtask wall and CPU (all processes of the
run, from task creation to the end), next to the requestor's own pair rate
measured in the same run: the ceiling a local run can approach.

Provider work dirs go where `tutorial-app run` puts them by default (in
memory, see `golem_task_api.node.network.scratch`); `--provider-dirs both` adds
the same runs with them on disk, side by side.

    .venv/bin/python benchmarks/local_run.py [--subtasks 100] [--provider-dirs both] [--json]

It uses whatever `tutorial_app` and `golem_task_api` import, so the same
script measures an older checkout with PYTHONPATH pointing at its packages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from golem_task_api.node.network.node import LocalNetwork, NetworkConfig
from golem_task_api.node.network.report import NullObserver, Report, Stats

try:
    from tutorial_app.cli import parser as cli  # the rooms (issue 22)
except ImportError:  # an older checkout
    from tutorial_app import cli  # type: ignore[no-redef]

sys.path.insert(0, str(Path(__file__).resolve().parent))
import requestor_load

INPUT_TEXT = "Golem local run benchmark.\n" * 4
_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its reaped children)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    # utime stime cutime cstime are fields 14..17 of stat (11..14 after the name).
    return int(fields[1]), sum(int(f) for f in fields[11:15]) / _TICKS


def tree_cpu() -> float:
    """CPU seconds of this process and all its descendants (alive or reaped)."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            stats[int(entry)] = stat
    total, frontier = 0.0, [os.getpid()]
    while frontier:
        pid = frontier.pop()
        total += stats.get(pid, (0, 0.0))[1]
        frontier.extend(child for child, (ppid, _) in stats.items() if ppid == pid)
    return total


class CpuObserver(NullObserver):
    """Takes the process tree's CPU when the task is created and when it ends."""

    def __init__(self) -> None:
        self.cpu_at_start = 0.0
        self.cpu_at_end = 0.0

    def task_created(self, task_id: str, stats: Stats) -> None:
        self.cpu_at_start = tree_cpu()

    def finished(self, report: Report) -> None:
        self.cpu_at_end = tree_cpu()


def cli_provider_dirs() -> str:
    """Where `tutorial-app run` puts provider dirs by default ("disk" before the option)."""
    args = cli.build_parser().parse_args(["run", "input.txt"])
    return str(getattr(args, "provider_dirs", "disk"))


async def local_run(subtasks: int, providers: int, tls: bool, dirs: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="local-run-") as tmp:
        source = Path(tmp) / "input.txt"
        source.write_text(INPUT_TEXT, encoding="utf-8")
        # What `tutorial-app run` uses (older checkouts kept it in cli).
        if hasattr(cli, "process_services"):
            services = cli.process_services()
        else:
            try:
                from tutorial_app.cli import local_run as app_local_run
            except ImportError:  # an older checkout
                from tutorial_app import local_run as app_local_run  # type: ignore[no-redef]

            services = app_local_run.process_services()
        # Older checkouts have no choice: their provider dirs are on disk.
        where = {"providers_in_memory": dirs == "memory"} if dirs == "memory" else {}
        config = NetworkConfig(
            inputs=[source],
            task_params={"difficulty": 0, "resources": [source.name], "subtasks_count": subtasks},
            subtasks=subtasks,
            providers=providers,
            make_service=services,
            out_dir=Path(tmp) / "out",
            tls=tls,  # work dirs in a temporary root, each removed after use: the CLI default
            **where,
        )
        observer = CpuObserver()
        try:
            report = await LocalNetwork(config, observer).run()
        finally:
            aclose = getattr(services, "aclose", None)  # a fork server to stop, if any
            if aclose is not None:
                await aclose()
    if not report.ok:
        raise RuntimeError(f"the run failed: {report.error}")
    wall = report.stats.elapsed()
    return {
        "subtasks_per_s": subtasks / wall,
        "wall_ms_per_subtask": wall / subtasks * 1000,
        "cpu_ms_per_subtask": (observer.cpu_at_end - observer.cpu_at_start) / subtasks * 1000,
    }


async def run(subtasks: int, provider_dirs: str) -> dict[str, Any]:
    rows = []
    default = cli_provider_dirs()
    places = [default] if provider_dirs == "default" else ["memory", "disk"]
    for providers in (1, 2):
        for tls in (True, False):
            for dirs in places:
                figures = await local_run(subtasks, providers, tls, dirs)
                rows.append({"providers": providers, "tls": tls, "provider_dirs": dirs, **figures})
    ceiling = await requestor_load.measure(subtasks, 2)
    best = max(row["subtasks_per_s"] for row in rows)
    return {
        "subtasks": subtasks,
        "runs": rows,
        "requestor_pairs_per_s": ceiling["pairs_per_s"],
        "best_vs_ceiling": best / ceiling["pairs_per_s"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subtasks", type=int, default=100)
    parser.add_argument(
        "--provider-dirs",
        choices=("default", "both"),
        default="default",
        help="provider dirs where `tutorial-app run` puts them (default), or in memory and on "
        "disk, side by side (both)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    report = asyncio.run(run(args.subtasks, args.provider_dirs))
    if args.json:
        print(json.dumps(report))
        return
    print(f"difficulty 0, {args.subtasks} subtasks per run")
    print(
        f"{'providers':>9} {'TLS':>4} {'provider dirs':>13}"
        f" {'subtasks/s':>11} {'wall ms':>8} {'CPU ms':>7}"
    )
    for row in report["runs"]:
        print(
            f"{row['providers']:>9} {'on' if row['tls'] else 'off':>4} {row['provider_dirs']:>13}"
            f" {row['subtasks_per_s']:>11.1f} {row['wall_ms_per_subtask']:>8.1f}"
            f" {row['cpu_ms_per_subtask']:>7.1f}"
        )
    print(f"requestor alone: {report['requestor_pairs_per_s']:.0f} NextSubtask+Verify pairs/s")
    print(f"best local run / requestor ceiling: {report['best_vs_ceiling']:.3f}")


if __name__ == "__main__":
    main()
