"""`tutorial-app`: the app's own command line.

    tutorial-app run examples/input.txt --difficulty 20 --subtasks 8 --providers 2
    tutorial-app resume WORK_ROOT          (or: run --resume WORK_ROOT)
    tutorial-app status WORK_ROOT | WORK_ROOT/requestor/TASK_ID
    tutorial-app check OUT_DIR

`run` is `golem-task-api run` with this app's entry point, parameters and
limits filled in (`tutorial_app.cli.local_run`). `status` reads a task's saved
state through `tutorial_app.store.store` without changing it (`status_view`
draws it); `check` re-verifies the proofs in an `--out` (`proof_check`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from golem_task_api.node.cluster import options as cluster_options
from golem_task_api.node.network import run_options, workroot

from tutorial_app import version
from tutorial_app.cli import local_run, proof_check, status_view
from tutorial_app.core import params
from tutorial_app.core.events import DamagedState
from tutorial_app.core.state import TaskState
from tutorial_app.files import zips
from tutorial_app.search import pow
from tutorial_app.store import reader, store


def build_parser() -> run_options.OneLineParser:
    parser = run_options.OneLineParser(
        prog="tutorial-app", description="The Golem Task API proof-of-work tutorial app."
    )
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=run_options.OneLineParser
    )
    run = commands.add_parser(
        "run",
        help="find proofs of work for INPUT on a local Golem network",
        description="Split a proof-of-work task over short-lived providers on this machine, "
        "as a Golem node would, verify every proof and write each to --out as soon as it is "
        f"verified. Limits: {local_run.LIMITS}.",
    )
    run.add_argument(
        "input",
        type=Path,
        nargs="?",
        metavar="INPUT",
        help=f"the text to find proofs for: UTF-8, 1 to {zips.MAX_INPUT_BYTES} bytes",
    )
    run.add_argument(
        "--difficulty",
        type=int,
        default=16,
        metavar="N",
        help=f"leading zero bits each proof's hash needs, {pow.MIN_DIFFICULTY}.."
        f"{pow.MAX_DIFFICULTY} (default 16; each subtask needs about 2**N hashes)",
    )
    run.add_argument(
        "--runtime",
        choices=("process", "docker"),
        default="process",
        help="run the apps as local processes (default) or in the app's Docker image "
        f"{version.IMAGE_NAME}:{version.IMAGE_TAG}",
    )
    run_options.add_run_options(
        run, subtasks=4, providers=2, max_subtasks=params.MAX_PARTS, provider_dirs="memory"
    )
    cluster_options.add_options(run)

    resume = commands.add_parser(
        "resume",
        help="carry on with an interrupted run",
        description="Restart the requestor on the task saved in WORK_ROOT, abort the subtasks "
        "whose providers are gone, and finish it; results already in --out stay.",
    )
    resume.add_argument("resume", type=Path, metavar="WORK_ROOT")
    resume.add_argument("--force", action="store_true", help="as for run")
    shown = resume.add_mutually_exclusive_group()
    shown.add_argument("--quiet", "-q", action="store_true", help="no progress, no summary")
    shown.add_argument("--verbose", "-v", action="store_true", help="one line per subtask")
    shown.add_argument("--json", action="store_true", help="one JSON object on stdout")

    status = commands.add_parser(
        "status",
        help="show the saved state of a task, or the tasks of a work root",
        description="Show each part's status and the totals of a task, read from its "
        "task directory (WORK_ROOT/requestor/TASK_ID), or list the tasks of a work root.",
    )
    status.add_argument("task_dir", type=Path, metavar="WORK_ROOT|TASK_DIR")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.add_argument("--all", action="store_true", help="list every part, however many")

    check = commands.add_parser(
        "check",
        help="re-verify every proof in an --out directory",
        description="Check every result in DIR against its manifest and the input copy "
        "with the reference definition; exit 1 if any is bad.",
    )
    check.add_argument("out_dir", type=Path, metavar="DIR")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    add_app_id_parser(commands)
    return parser


def resume_args(args: argparse.Namespace) -> argparse.Namespace:
    """`resume ROOT` is `run --resume ROOT`: the rest comes from the saved settings."""
    parsed = build_parser().parse_args(["run", "--resume", str(args.resume)])
    for name in ("force", "quiet", "verbose", "json"):
        setattr(parsed, name, getattr(args, name))
    return parsed


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
    return run_options.EXIT_OK


# -- status ---------------------------------------------------------------------


def load_task(task_dir: Path) -> TaskState | None:
    """The task's state, read without writing to the task dir (DamagedState: one line)."""
    return reader.read_for_status(task_dir)


def providers_gone(task_dir: Path) -> bool:
    """The task lives in a work root no run holds now: no provider of it is alive."""
    return workroot.is_idle(task_dir.parent.parent)


def status_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    path: Path = args.task_dir
    if not path.is_dir():
        parser.error(f"task directory {path} does not exist")
    tasks = workroot.task_dirs(path)
    if tasks:
        return root_status(path, tasks, args)
    try:
        task = load_task(path)
    except DamagedState as exc:
        print(
            f"tutorial-app status: error: cannot read the task in {path}: {exc}",
            file=sys.stderr,
        )
        return run_options.EXIT_FAILED
    if task is None:
        parser.error(f"{path} holds no task ({store.SNAPSHOT_NAME} is missing)")
    data = status_view.status_json(path, task, providers_gone(path))
    if args.json:
        print(json.dumps(data))
    else:
        sys.stdout.write(status_view.render_task(data, args.all))
    return run_options.EXIT_OK


def root_status(root: Path, task_dirs: list[Path], args: argparse.Namespace) -> int:
    found = []
    for task_dir in task_dirs:
        try:
            task = load_task(task_dir)
        except DamagedState:
            task = None
        if task is not None:
            found.append(status_view.status_json(task_dir, task, providers_gone(task_dir)))
    saved = None
    with contextlib.suppress(ValueError):
        saved = workroot.load_run(root)
    unfinished = any(not t["finished"] and not t["aborted"] for t in found)
    resume = f"tutorial-app resume {root.resolve()}" if saved and unfinished else None
    if args.json:
        print(json.dumps({"work_root": str(root), "tasks": found, "resume_command": resume}))
    else:
        sys.stdout.write(status_view.render_root(root, found, resume))
    return run_options.EXIT_OK


def check_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if not args.out_dir.is_dir():
        parser.error(f"{args.out_dir} is not a directory")
    if not proof_check.manifests(args.out_dir):
        parser.error(f"{args.out_dir} holds no manifest (*.manifest.jsonl) to check")
    checks = proof_check.check_dir(args.out_dir)
    if args.json:
        print(proof_check.as_json(checks))
    else:
        print("\n".join(proof_check.report_lines(checks)))
    return run_options.EXIT_FAILED if any(c.problems for c in checks) else run_options.EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "status":
        return status_command(parser, args)
    if args.command == "app-id":
        return app_id_command(parser, args)
    if args.command == "check":
        return check_command(parser, args)
    if args.command == "resume":
        args = resume_args(args)
    return local_run.run_command(parser, args)
