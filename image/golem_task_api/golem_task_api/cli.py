"""`golem-task-api run`: run one task of any Task API app on a local network.

    golem-task-api run --app "python -m tutorial_app.entrypoint" \\
        --input examples/input.txt --params '{"difficulty": 20}' \\
        --subtasks 8 --providers 2 --out results/
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import uuid
from pathlib import Path
from typing import Any

from golem_task_api.cluster import options as cluster_options
from golem_task_api.cluster.worker import Runtime
from golem_task_api.network import runner, session
from golem_task_api.network.node import NetworkConfig, ServiceFactory
from golem_task_api.services.forked import ForkingServices

_PYTHON_NAMES = ("python", "python3", f"python3.{sys.version_info.minor}")


def app_command(text: str) -> list[str]:
    """Split `--app`; a leading `python` means this interpreter (so a venv works)."""
    words = shlex.split(text)
    if words and words[0] in _PYTHON_NAMES:
        words[0] = sys.executable
    return words


def process_services(command: list[str]) -> ServiceFactory:
    """Each app a fresh process, forked from a pre-imported parent when it can be."""
    return ForkingServices(command)


def build_parser() -> runner.OneLineParser:
    parser = runner.OneLineParser(
        prog="golem-task-api",
        description="Golem Task API tools for nodes and app developers.",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=runner.OneLineParser
    )
    run = commands.add_parser(
        "run",
        help="run one task on a local network (one requestor, N providers)",
        description="Run one task of a Task API app on this machine, as a Golem node would: "
        "start the requestor, create the task, hand subtasks to short-lived providers, "
        "move the files, verify, and copy the task's outputs to --out.",
    )
    run.add_argument(
        "--app",
        metavar="COMMAND",
        help="the app's entry point, e.g. 'python -m tutorial_app.entrypoint'; "
        "it is started as COMMAND {requestor|provider} PORT --work-dir DIR",
    )
    run.add_argument(
        "--input",
        dest="inputs",
        action="append",
        type=Path,
        metavar="FILE",
        help="a task resource copied into task_inputs (repeat for more)",
    )
    run.add_argument(
        "--params",
        default="{}",
        metavar="JSON",
        help="the app's task parameters (task_params_json); if they have no 'resources', "
        "the input files' names are added as 'resources'",
    )
    runner.add_run_options(run, subtasks=4, providers=2)
    cluster_options.add_options(run, max_result=True)
    return parser


def parse_params(parser: argparse.ArgumentParser, text: str, inputs: list[Path]) -> dict[str, Any]:
    try:
        params = json.loads(text)
    except ValueError as exc:
        parser.error(f"--params is not valid JSON: {exc}")
    if not isinstance(params, dict):
        parser.error("--params must be a JSON object")
    params.setdefault("resources", [path.name for path in inputs])
    return params


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    task_id = f"task-{uuid.uuid4().hex[:12]}"
    if args.resume is not None:
        saved = session.load_saved(parser, args.resume.resolve())
        runner.restore_options(args, saved)
        args.app, args.params, task_id = saved["app"], json.dumps(saved["params"]), saved["task_id"]
        args.inputs = [Path(name) for name in saved["inputs"]]
        cluster_options.restore(args, saved)
        args.max_result_bytes = saved.get("max_result_bytes", args.max_result_bytes)
    if not args.app or not args.inputs:
        parser.error("--app and --input are required (or --resume WORK_ROOT)")
    command = app_command(args.app)
    if not command:
        parser.error("--app must not be empty")
    runner.check_inputs(parser, args.inputs)
    runner.check_run_options(parser, args)
    cluster_options.check(parser, args)
    params = parse_params(parser, args.params, args.inputs)
    settings = {
        "app": args.app,
        "params": params,
        "inputs": [str(path.resolve()) for path in args.inputs],
        "max_result_bytes": args.max_result_bytes,
        **cluster_options.saved(args),
    }
    runtime = Runtime(
        tuple(shlex.split(args.app)), tls=args.tls, max_result_bytes=args.max_result_bytes
    )
    remote = cluster_options.open_cluster(parser, args, runtime)
    try:
        held = session.hold(parser, args, task_id, settings, "golem-task-api run --resume {root}")
        config = NetworkConfig(
            inputs=[path.resolve() for path in args.inputs],
            task_params=params,
            make_service=process_services(command),
            remote=remote,
            **runner.config_kwargs(args),
            **session.config_kwargs(held),
        )
        return session.execute(config, args, held)
    finally:
        if remote is not None:
            remote.close()


if __name__ == "__main__":
    sys.exit(main())
