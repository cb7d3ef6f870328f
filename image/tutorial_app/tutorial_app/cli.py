"""`tutorial-app run` and `tutorial-app status`: the app's own command line.

    tutorial-app run examples/input.txt --difficulty 20 --subtasks 8 --providers 2
    tutorial-app status WORK_ROOT/requestor/TASK_ID

`run` is `golem-task-api run` with this app's entry point (or image), its
task parameters and a hash-rate measure filled in. `status` reads a task's
saved state through `tutorial_app.store`, without changing it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from golem_task_api import logs
from golem_task_api.network import runner
from golem_task_api.network.node import NetworkConfig, ServiceFactory
from golem_task_api.services import ProcessTaskApiService, TaskApiService

from tutorial_app import pow, store, version, zips
from tutorial_app.state import PartStatus, TaskState

#: The hash rate counts, per verified proof, the hashes a search from nonce 0
#: must try to find it: the nonce plus one (the search returns the smallest).
WORK_UNIT = "hashes"
WORK_LABEL = "nonce + 1 per verified proof"


def result_hashes(result_zip: Path) -> float:
    """The work a verified result zip stands for (see `WORK_LABEL`)."""
    text = zips.read_text_member(result_zip, zips.MAX_RESULT_BYTES, "result")
    return float(pow.parse_result(text).nonce + 1)


def process_services() -> ServiceFactory:
    command = [sys.executable, "-m", "tutorial_app.entrypoint"]

    def make(work_dir: Path) -> TaskApiService:
        return ProcessTaskApiService(work_dir, command)

    return make


def docker_services() -> ServiceFactory:
    from golem_task_api.services import DockerTaskApiService

    # Containers do not inherit our environment; pass the log level on.
    level = os.environ.get(logs.LOG_LEVEL_ENV)
    extra = ["-e", f"{logs.LOG_LEVEL_ENV}={level}"] if level else []

    def make(work_dir: Path) -> TaskApiService:
        return DockerTaskApiService(
            work_dir, version.IMAGE_NAME, version.IMAGE_TAG, extra_args=extra
        )

    return make


def build_parser() -> runner.OneLineParser:
    parser = runner.OneLineParser(
        prog="tutorial-app", description="The Golem Task API proof-of-work tutorial app."
    )
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=runner.OneLineParser
    )
    run = commands.add_parser(
        "run",
        help="find proofs of work for INPUT on a local Golem network",
        description="Split a proof-of-work task over short-lived providers on this machine, "
        "as a Golem node would, verify every proof and copy the results to --out.",
    )
    run.add_argument("input", type=Path, metavar="INPUT", help="the text to find proofs for")
    run.add_argument(
        "--difficulty",
        type=int,
        default=16,
        metavar="N",
        help="leading zero bits each proof's hash needs, 0..256 (default 16; "
        "each subtask needs about 2**N hashes)",
    )
    run.add_argument(
        "--runtime",
        choices=("process", "docker"),
        default="process",
        help="run the apps as local processes (default) or in the app's Docker image "
        f"{version.IMAGE_NAME}:{version.IMAGE_TAG}",
    )
    runner.add_run_options(run, subtasks=4, providers=2)

    status = commands.add_parser(
        "status",
        help="show the saved state of a task",
        description="Show each part's status and the totals of a task, read from its "
        "task directory (<requestor work dir>/<task id>/).",
    )
    status.add_argument("task_dir", type=Path, metavar="TASK_DIR")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    add_app_id_parser(commands)
    return parser


def add_app_id_parser(commands: Any) -> None:
    app_id = commands.add_parser(
        "app-id",
        help="print the app id a Golem node derives from an app definition file",
        description="Print the id (hex BLAKE2b-128 of the definition as the node "
        "serialises it) that task files name the app by.",
    )
    app_id.add_argument("definition", type=Path, metavar="DEFINITION")


def app_id_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from golem_task_api.apputils.app_definition import load_app_from_json_file

    try:
        definition = load_app_from_json_file(args.definition)
    except ValueError as exc:
        parser.error(str(exc))
    print(definition.id)
    return runner.EXIT_OK


def check_image(parser: argparse.ArgumentParser) -> None:
    """`--runtime docker` needs docker and the app's image, built locally."""
    image = f"{version.IMAGE_NAME}:{version.IMAGE_TAG}"
    if shutil.which("docker") is None:
        parser.error("--runtime docker needs the docker command, which is not on PATH")
    try:
        found = subprocess.run(
            ["docker", "image", "inspect", image], capture_output=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        parser.error(f"--runtime docker: cannot ask docker about {image}: {exc}")
    if found.returncode != 0:
        parser.error(
            f"--runtime docker: image {image} not found "
            "(build it with scripts/docker-test-env; is the Docker engine running?)"
        )


def run_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    runner.check_inputs(parser, [args.input])
    if not pow.MIN_DIFFICULTY <= args.difficulty <= pow.MAX_DIFFICULTY:
        parser.error(
            f"--difficulty must be between {pow.MIN_DIFFICULTY} and {pow.MAX_DIFFICULTY}, "
            f"got {args.difficulty}"
        )
    runner.check_run_options(parser, args)
    if args.runtime == "docker":
        check_image(parser)
    services = docker_services() if args.runtime == "docker" else process_services()
    config = NetworkConfig(
        inputs=[args.input.resolve()],
        task_params={
            "difficulty": args.difficulty,
            "resources": [args.input.name],
            "subtasks_count": args.subtasks,
        },
        make_service=services,
        work_meter=result_hashes,
        work_unit=WORK_UNIT,
        work_label=WORK_LABEL,
        **runner.config_kwargs(args),
    )
    return runner.execute(config, args)


# -- status ---------------------------------------------------------------------


def load_task(task_dir: Path) -> TaskState | None:
    """The task's state, read through the store without writing to the task dir."""
    task, _ = store.read_task(task_dir, cut_torn_tail=False)
    return task


def status_json(task_dir: Path, task: TaskState) -> dict[str, Any]:
    attempts: dict[int, list[str]] = {}
    for sid, sub in task.subtasks.items():
        attempts.setdefault(sub.part, []).append(sid)
    parts = []
    for index, part in enumerate(task.parts):
        tried = attempts.get(index, [])
        last = task.subtasks[tried[-1]] if tried else None
        parts.append(
            {
                "part": index,
                "status": part.status.value,
                "subtask_id": part.subtask_id,
                "attempts": len(tried),
                "node": last.node if last else None,
                "reason": last.reason if last else None,
            }
        )
    totals = {status.value: task.count(status) for status in PartStatus}
    return {
        "task_dir": str(task_dir),
        "task_id": task_dir.name,
        "difficulty": task.difficulty,
        "aborted": task.aborted,
        "finished": task.is_finished(),
        "parts": parts,
        "totals": {"parts": len(task.parts), **totals, "subtasks": len(task.subtasks)},
    }


_STYLE = {
    "done": "green",
    "pending": "dim",
    "in_progress": "cyan",
    "verifying": "yellow",
    "aborted": "red",
}


def print_status(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    totals = data["totals"]
    state = "finished" if data["finished"] else "aborted" if data["aborted"] else "not finished"
    table = Table(
        title=f"task {data['task_id']} (difficulty {data['difficulty']}): {state}",
        title_justify="left",
    )
    for column in ("part", "status", "attempts", "subtask", "node"):
        table.add_column(column, no_wrap=True)
    table.add_column("last reason", no_wrap=True, overflow="ellipsis", max_width=48)
    for part in data["parts"]:
        style = _STYLE.get(part["status"], "")
        table.add_row(
            str(part["part"]),
            f"[{style}]{part['status']}[/]" if style else part["status"],
            str(part["attempts"]),
            part["subtask_id"] or "-",
            part["node"] or "-",
            part["reason"] or "-",
        )
    console = Console(highlight=False)
    console.print(table)
    counts = ", ".join(f"{totals[s.value]} {s.value}" for s in PartStatus if totals[s.value])
    console.print(
        f"{totals['done']}/{totals['parts']} parts done ({counts}); "
        f"{totals['subtasks']} subtasks handed out"
    )


def status_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    task_dir: Path = args.task_dir
    if not task_dir.is_dir():
        parser.error(f"task directory {task_dir} does not exist")
    try:
        task = load_task(task_dir)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(
            f"tutorial-app status: error: cannot read the task in {task_dir}: {exc}",
            file=sys.stderr,
        )
        return runner.EXIT_FAILED
    if task is None:
        parser.error(f"{task_dir} holds no task ({store.SNAPSHOT_NAME} is missing)")
    data = status_json(task_dir, task)
    if args.json:
        print(json.dumps(data))
    else:
        print_status(data)
    return runner.EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "status":
        return status_command(parser, args)
    if args.command == "app-id":
        return app_id_command(parser, args)
    return run_command(parser, args)


if __name__ == "__main__":
    sys.exit(main())
