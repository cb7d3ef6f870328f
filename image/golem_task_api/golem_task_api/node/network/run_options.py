"""The run options' argparse plumbing, shared by `golem-task-api run` and `tutorial-app run`.

Options common to both, each filling one `NetworkConfig` field
(`network_config`); the config checks the values itself, and a bad one is one
`prog: error: ...` line and exit status 2, before anything starts. `session`
runs the network.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from golem_task_api.node.network.config import SAVED_FIELDS, ConfigError, NetworkConfig

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line: `prog: error: message`."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def add_run_options(
    parser: argparse.ArgumentParser,
    *,
    subtasks: int,
    providers: int,
    max_subtasks: int | None = None,
    provider_dirs: str = "disk",
) -> None:
    """The options every local run takes; `provider_dirs` is the app's default for
    `--provider-dirs` ("memory" only for apps whose provider dirs are small)."""
    most = f", at most {max_subtasks}" if max_subtasks else ""
    parser.add_argument(
        "--subtasks",
        type=int,
        default=subtasks,
        metavar="N",
        help=f"split the task into N subtasks (default {subtasks}{most})",
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
        help="write each verified result here as soon as it is verified, with a manifest "
        "(default results/); it must be writable and hold no other run's files",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into an --out that already holds other runs' files (names never clash)",
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
        "(default: a temporary directory, removed at the end unless interrupted); "
        "one run at a time per work root",
    )
    parser.add_argument(
        "--resume",
        type=Path,
        metavar="WORK_ROOT",
        help="carry on with the interrupted run kept in WORK_ROOT (its settings are saved there)",
    )
    parser.add_argument("--keep-work", action="store_true", help="keep the temporary work dirs")
    parser.add_argument(
        "--provider-dirs",
        choices=("memory", "disk"),
        default=provider_dirs,
        help="where a run that keeps no work dirs puts the providers' (one per subtask): "
        "in memory (a tmpfs such as /dev/shm, if one has 256 MiB free) or on disk "
        f"with the rest (default {provider_dirs})",
    )
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
    shown.add_argument(
        "--quiet", "-q", action="store_true", help="no progress, no summary (errors still shown)"
    )
    shown.add_argument(
        "--verbose", "-v", action="store_true", help="one line per subtask, however many"
    )
    shown.add_argument(
        "--json", action="store_true", help="print one JSON object on stdout at the end"
    )


def check_run_options(
    parser: argparse.ArgumentParser, args: argparse.Namespace, distribution: str = "golem-task-api"
) -> None:
    """Exit with one line if an option needs what is not there (the values: `network_config`)."""
    if args.work_root is not None and args.work_root.exists() and not args.work_root.is_dir():
        parser.error(f"--work-root {args.work_root} exists and is not a directory")
    if args.tls and importlib.util.find_spec("cryptography") is None:
        parser.error(
            f"TLS needs the 'node' extra (pip install '{distribution}[node]'); or run with --no-tls"
        )


def json_object(parser: argparse.ArgumentParser, option: str, text: str) -> dict[str, Any]:
    """An option's JSON object (task parameters); anything else is the one-line usage error."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        parser.error(f"{option} is not valid JSON: {exc}")
    if not isinstance(value, dict):
        parser.error(f"{option} must be a JSON object")
    return value


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


def network_config(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    app: Callable[..., NetworkConfig],
    task_id: str | None,
) -> NetworkConfig:
    """`app` (a `NetworkConfig` with the app's fields bound) given the common options,
    each its one field; a value the config refuses exits with one line naming its option."""
    try:
        config = app(
            subtasks=args.subtasks,
            providers=args.providers,
            out_dir=args.out.resolve(),
            tls=args.tls,
            keep_work=args.keep_work,
            providers_in_memory=args.provider_dirs == "memory",
            max_retries=args.max_retries,
            subtask_timeout=args.subtask_timeout,
        )
    except ConfigError as exc:
        parser.error(f"--{exc.field.replace('_', '-')} {exc.problem}")
    # A resumed run's id comes from its saved settings; a new one's is made by the config.
    return config if task_id is None else _with_task_id(parser, config, task_id)


def _with_task_id(
    parser: argparse.ArgumentParser, config: NetworkConfig, task_id: str
) -> NetworkConfig:
    try:
        return dataclasses.replace(config, task_id=task_id)
    except ConfigError as exc:
        parser.error(f"the saved settings' {exc}")


def restore_options(args: argparse.Namespace, saved: dict[str, Any]) -> None:
    """Put a saved run's options (`NetworkConfig.saved`) back on `args` (before the checks run)."""
    for name in SAVED_FIELDS:
        if name in saved:
            setattr(args, name, saved[name])
    if "out" in saved:
        args.out = Path(saved["out"])
