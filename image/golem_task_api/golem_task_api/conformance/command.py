"""`golem-task-api check-app`: the battery from the command line."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from golem_task_api.conformance.battery import CHECKS
from golem_task_api.conformance.runner import run_battery
from golem_task_api.conformance.target import AppSpec
from golem_task_api.node.network import run_options


def add_parser(commands: Any, app_options: Callable[[argparse.ArgumentParser], None]) -> None:
    check_app = commands.add_parser(
        "check-app",
        help="check that a Golem node can run an app (one line per check)",
        description="Run the conformance battery against an app started as a node starts it. "
        "Exit status 0 only if every required check passed (FAIL breaks a node run; "
        "warn is good practice the node survives without).",
    )
    app_options(check_app)
    check_app.add_argument(
        "--bad-params",
        action="append",
        default=[],
        metavar="JSON",
        help="task parameters the app must refuse at CreateTask (repeat for more)",
    )
    check_app.add_argument("--subtasks", type=int, default=4, help="max_subtasks_count (4)")
    check_app.add_argument(
        "--rounds",
        type=int,
        default=50,
        help="rounds of each final reply (50, at least 50 for a verdict a node trusts)",
    )
    check_app.add_argument(
        "--check",
        dest="checks",
        action="append",
        metavar="NAME",
        help=f"run only this check (repeat); one of: {', '.join(c.name for c in CHECKS)}",
    )
    check_app.add_argument("--json", action="store_true", help="print the report as JSON")
    check_app.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML")


def run(parser: argparse.ArgumentParser, args: argparse.Namespace, spec: AppSpec) -> int:
    bad = []
    for text in args.bad_params:
        params = run_options.json_object(parser, "--bad-params", text)
        params.setdefault("resources", spec.params.get("resources", []))
        bad.append(params)
    if args.subtasks < 2 or args.rounds < 1:
        parser.error("--subtasks must be at least 2 and --rounds at least 1")
    spec.bad_params, spec.subtasks, spec.rounds = bad, args.subtasks, args.rounds
    try:
        report = asyncio.run(run_battery(spec, args.checks))
    except ValueError as exc:
        parser.error(str(exc))
    print(report.to_json() if args.json else report.text())
    if args.junit:
        report.write_junit(args.junit)
    return 0 if report.ok else 1
