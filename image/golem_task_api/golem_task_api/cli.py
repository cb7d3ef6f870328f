"""`golem-task-api run`: run one task of any Task API app on a local network.

    golem-task-api run --app "python -m tutorial_app.entrypoint" \\
        --input examples/input.txt --params '{"difficulty": 20}' \\
        --subtasks 8 --providers 2 --out results/
"""

from __future__ import annotations

import argparse
import functools
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from golem_task_api.conformance import command as conformance_command
from golem_task_api.conformance.target import AppSpec
from golem_task_api.node.cluster import options as cluster_options
from golem_task_api.node.cluster.runtime import Runtime
from golem_task_api.node.network import run_options, session
from golem_task_api.node.network.node import NetworkConfig, ServiceFactory
from golem_task_api.node.services import DockerTaskApiService
from golem_task_api.node.services.docker import node_limits
from golem_task_api.node.services.forked import ForkingServices

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


def app_options(parser: argparse.ArgumentParser) -> None:
    """How the app is given (a command, an image, a definition) and its sample task."""
    parser.add_argument(
        "--app",
        metavar="COMMAND",
        help="the app's entry point, e.g. 'python -m tutorial_app.entrypoint'; "
        "it is started as COMMAND {requestor|provider} PORT --work-dir DIR",
    )
    parser.add_argument(
        "--image",
        metavar="NAME:TAG",
        help="the app's Docker image, run as the node's Docker CPU environment runs it",
    )
    parser.add_argument(
        "--app-definition",
        type=Path,
        metavar="FILE",
        help="the app's definition file (its requestor_prereq names the image)",
    )
    parser.add_argument(
        "--input",
        dest="inputs",
        action="append",
        type=Path,
        metavar="FILE",
        help="a task resource copied into task_inputs (repeat for more)",
    )
    parser.add_argument(
        "--params",
        default="{}",
        metavar="JSON",
        help="the app's task parameters (task_params_json); if they have no 'resources', "
        "the input files' names are added as 'resources'",
    )


def build_parser() -> run_options.OneLineParser:
    parser = run_options.OneLineParser(
        prog="golem-task-api",
        description="Golem Task API tools for nodes and app developers.",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=run_options.OneLineParser
    )
    run = commands.add_parser(
        "run",
        help="run one task on a local network (one requestor, N providers)",
        description="Run one task of a Task API app on this machine, as a Golem node would: "
        "start the requestor, create the task, hand subtasks to short-lived providers, "
        "move the files, verify, and copy the task's outputs to --out.",
    )
    app_options(run)
    run_options.add_run_options(run, subtasks=4, providers=2)
    cluster_options.add_options(run, max_result=True)
    conformance_command.add_parser(commands, app_options)
    return parser


def parse_params(parser: argparse.ArgumentParser, text: str, inputs: list[Path]) -> dict[str, Any]:
    params = run_options.json_object(parser, "--params", text)
    params.setdefault("resources", [path.name for path in inputs])
    return params


def resolve_app(parser: argparse.ArgumentParser, args: argparse.Namespace) -> AppSpec:
    """The app as a command or an image (named by --image or the definition)."""
    if args.app and (args.image or args.app_definition):
        parser.error("give the app as --app COMMAND, or as --image / --app-definition")
    image = args.image
    if args.app_definition is not None and image is None:
        from golem_task_api.conformance.checks_publish import definition_image

        try:
            image = definition_image(AppSpec([], {}, definition=args.app_definition))
        except ValueError as exc:
            parser.error(str(exc))
    if image is not None and ":" not in image.rpartition("/")[2]:
        parser.error(f"the image must be NAME:TAG, not {image!r}")
    command = app_command(args.app) if args.app else None
    if not command and image is None:
        parser.error("--app, --image or --app-definition is required (or --resume WORK_ROOT)")
    if not args.inputs:
        parser.error("--input is required")
    run_options.check_inputs(parser, args.inputs)
    params = parse_params(parser, args.params, args.inputs)
    inputs = [path.resolve() for path in args.inputs]
    return AppSpec(inputs, params, command, image, definition=args.app_definition)


def docker_services(image: str) -> ServiceFactory:
    """Each app a container, as the node's Docker CPU environment runs it."""
    name, _, tag = image.rpartition(":")
    return lambda work_dir: DockerTaskApiService(work_dir, name, tag, extra_args=node_limits())


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "check-app":
        return conformance_command.run(parser, args, resolve_app(parser, args))
    task_id: str | None = None  # a new task's is made by the config
    if args.resume is not None:
        saved = session.load_saved(parser, args.resume.resolve())
        run_options.restore_options(args, saved)
        args.app, args.params, task_id = saved["app"], json.dumps(saved["params"]), saved["task_id"]
        args.image = saved.get("image")
        args.inputs = [Path(name) for name in saved["inputs"]]
        cluster_options.restore(args, saved)
        args.max_result_bytes = saved.get("max_result_bytes", args.max_result_bytes)
    spec = resolve_app(parser, args)
    run_options.check_run_options(parser, args)
    cluster_options.check(parser, args)
    settings = {
        "app": args.app,
        "image": spec.image,
        "params": spec.params,
        "inputs": [str(path) for path in spec.inputs],
        "max_result_bytes": args.max_result_bytes,
        **cluster_options.saved(args),
    }
    session.preflight(parser, args, task_id)
    remote = cluster_options.open_cluster(parser, args, cluster_runtime(spec, args))
    try:
        app = functools.partial(
            NetworkConfig,
            inputs=spec.inputs,
            task_params=spec.params,
            make_service=process_services(spec.command)
            if spec.command
            else docker_services(spec.image or ""),
            remote=remote,
        )
        config = run_options.network_config(parser, args, app, task_id)
        held = session.hold(parser, args, config, settings, "golem-task-api run --resume {root}")
        return session.execute(held.config, args, held)
    finally:
        if remote is not None:
            remote.close()


def cluster_runtime(spec: AppSpec, args: argparse.Namespace) -> Runtime:
    """How cluster workers start the app's providers: its command, or its image."""
    if spec.command:
        command = tuple(shlex.split(args.app))
        return Runtime(command, tls=args.tls, max_result_bytes=args.max_result_bytes)
    return Runtime(image=spec.image or "", tls=args.tls, max_result_bytes=args.max_result_bytes)


if __name__ == "__main__":
    sys.exit(main())
