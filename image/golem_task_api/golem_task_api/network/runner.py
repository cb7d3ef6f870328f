"""Command-line plumbing shared by `golem-task-api run` and `tutorial-app run`.

Options common to both, their validation (one `prog: error: ...` line and
exit status 2, before anything starts), and running the network with the
right display, Ctrl-C handling and exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

from golem_task_api import logs
from golem_task_api.network.node import LocalNetwork, NetworkConfig
from golem_task_api.network.report import NullObserver, Observer, TaskStatus

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: `prog: error: message`."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def add_run_options(parser: argparse.ArgumentParser, *, subtasks: int, providers: int) -> None:
    parser.add_argument(
        "--subtasks",
        type=int,
        default=subtasks,
        metavar="N",
        help=f"split the task into N subtasks (default {subtasks})",
    )
    parser.add_argument(
        "--providers",
        type=int,
        default=providers,
        metavar="N",
        help=f"run up to N providers at once (default {providers})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("results"),
        metavar="DIR",
        help="copy the task's outputs here (default results/)",
    )
    parser.add_argument(
        "--no-tls",
        dest="tls",
        action="store_false",
        help="talk to the apps in plaintext (default: mutual TLS, throwaway certificates)",
    )
    parser.add_argument(
        "--work-root",
        type=Path,
        metavar="DIR",
        help="put the requestor's and providers' work dirs here and keep them "
        "(default: a temporary directory, removed at the end)",
    )
    parser.add_argument("--keep-work", action="store_true", help="keep the temporary work dirs")
    parser.add_argument(
        "--max-retries",
        type=int,
        default=3,
        metavar="N",
        help="give up after more than N failed attempts in total (default 3)",
    )
    parser.add_argument(
        "--subtask-timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="abort a subtask that takes longer (default 600)",
    )
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--quiet", "-q", action="store_true", help="no progress, no summary")
    shown.add_argument(
        "--json", action="store_true", help="print one JSON object on stdout at the end"
    )


def check_run_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Exit with one line if an option is out of range."""
    if args.subtasks < 1:
        parser.error(f"--subtasks must be at least 1, got {args.subtasks}")
    if args.providers < 1:
        parser.error(f"--providers must be at least 1, got {args.providers}")
    if args.max_retries < 0:
        parser.error(f"--max-retries must not be negative, got {args.max_retries}")
    if not args.subtask_timeout > 0:
        parser.error(f"--subtask-timeout must be positive, got {args.subtask_timeout}")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} exists and is not a directory")
    if args.work_root is not None and args.work_root.exists() and not args.work_root.is_dir():
        parser.error(f"--work-root {args.work_root} exists and is not a directory")


def check_inputs(parser: argparse.ArgumentParser, inputs: list[Path]) -> None:
    names: set[str] = set()
    for path in inputs:
        if not path.exists():
            parser.error(f"input file {path} does not exist")
        if not path.is_file():
            parser.error(f"input {path} is not a regular file")
        if path.name in names:
            parser.error(f"two input files are named {path.name!r}")
        names.add(path.name)


def config_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The `NetworkConfig` fields the common options fill in."""
    return {
        "subtasks": args.subtasks,
        "providers": args.providers,
        "out_dir": args.out,
        "tls": args.tls,
        "work_root": args.work_root.resolve() if args.work_root else None,
        "keep_work": args.keep_work,
        "max_retries": args.max_retries,
        "subtask_timeout": args.subtask_timeout,
    }


def _observer(config: NetworkConfig, args: argparse.Namespace) -> Observer:
    if args.quiet:
        return NullObserver()
    from golem_task_api.network.progress import RichProgress  # needs `rich`

    return RichProgress(config.work_unit, config.work_label, summary=not args.json)


async def _main(network: LocalNetwork) -> None:
    # SIGTERM ends the run like Ctrl-C: cancel, clean up, report.
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        await network.run()
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def execute(config: NetworkConfig, args: argparse.Namespace) -> int:
    """Run the task; print the summary or JSON; return the exit status."""
    logs.configure()
    network = LocalNetwork(config, _observer(config, args))
    try:
        asyncio.run(_main(network))
    except (KeyboardInterrupt, asyncio.CancelledError):
        network.report.status = TaskStatus.INTERRUPTED
        network.report.error = network.report.error or "interrupted"
    report = network.report
    if args.json:
        print(json.dumps(report.to_json()))
    elif report.error and args.quiet:
        print(f"error: {report.error}", file=sys.stderr)
    if report.ok:
        return EXIT_OK
    if report.status is TaskStatus.INTERRUPTED:
        return EXIT_INTERRUPTED
    return EXIT_FAILED
