"""One run from the command line: check --out, hold the work root, run, report.

Everything that can be checked is checked before any app starts (one
`prog: error:` line, exit 2): the work root is free (a lock held for the
whole run) and holds no other run, `--out` is a writable directory without
other runs' files. The run's settings are saved in the work root, so an
interrupted run (Ctrl-C, SIGTERM) keeps its work dir and prints the one
command that carries on with it.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import shlex
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from golem_task_api.node.network import results, workroot
from golem_task_api.node.network.node import LocalNetwork, NetworkConfig
from golem_task_api.node.network.report import NullObserver, Observer, Report, TaskStatus
from golem_task_api.node.network.run_options import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from golem_task_api.wire import logs


@dataclass
class Session:
    """A work root held by this run."""

    root: Path
    temporary: bool
    lock_fd: int
    resume_command: str
    #: The run's config, with the held work root filled in.
    config: NetworkConfig


def load_saved(parser: argparse.ArgumentParser, root: Path) -> dict[str, Any]:
    """The settings of the run kept in `root`; exit 2 if there is none."""
    try:
        saved = workroot.load_run(root)
    except ValueError as exc:
        parser.error(str(exc))
    if saved is None:
        parser.error(f"{root} holds no run to resume ({workroot.RUN_FILE} is missing)")
    return saved


def preflight(
    parser: argparse.ArgumentParser, args: argparse.Namespace, task_id: str | None
) -> None:
    """Exit 2 if `--out` cannot take the results: the first check of a run, before
    the work root is held and before a cluster is started or reached."""
    problem = results.check_out_dir(args.out, task_id, args.force)
    if problem:
        parser.error(problem)


def hold(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    config: NetworkConfig,
    settings: dict[str, Any],
    resume_command: str,
) -> Session:
    """Lock the work root and save the settings (the config's, and the app's `settings`);
    exit 2 if it is unusable. `--out` was checked by `preflight`."""
    resume = args.resume is not None
    given = args.resume if resume else args.work_root
    root = given.resolve() if given is not None else Path(tempfile.mkdtemp(prefix="golem-run-"))
    try:
        fd = workroot.lock(root)
    except workroot.WorkRootBusy as exc:
        parser.error(str(exc))
    except OSError as exc:
        parser.error(f"cannot use {root} as the work root: {exc.strerror or exc}")
    command = resume_command.format(root=shlex.quote(str(root)))
    config = dataclasses.replace(
        config, work_root=root, temporary_root=given is None, resume=resume
    )
    session = Session(root, given is None, fd, command, config)
    if not resume:
        try:
            existing = workroot.load_run(root)
        except ValueError as exc:
            _refuse(parser, session, str(exc))
        if existing is not None:
            _refuse(
                parser,
                session,
                f"--work-root {root} already holds task {existing['task_id']}; carry on with "
                f"'{command}', or choose another --work-root",
            )
    if not resume:
        workroot.save_run(root, {**config.saved(), **settings})
    return session


def _refuse(parser: argparse.ArgumentParser, session: Session, message: str) -> None:
    workroot.unlock(session.lock_fd)
    if session.temporary:
        import shutil

        shutil.rmtree(session.root, ignore_errors=True)
    parser.error(message)


def observer(config: NetworkConfig, args: argparse.Namespace) -> Observer:
    if args.quiet:
        return NullObserver()
    from golem_task_api.node.network.progress import TextProgress

    return TextProgress(
        config.work_unit, config.work_label, summary=not args.json, verbose=args.verbose
    )


async def _main(network: LocalNetwork) -> None:
    # SIGTERM and SIGHUP (the terminal went away) end the run like Ctrl-C:
    # cancel, clean up, report.
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, task.cancel)
    try:
        await network.run()
    finally:
        for signum in (signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(signum)


def execute(config: NetworkConfig, args: argparse.Namespace, session: Session) -> int:
    """Run the task; print the summary or JSON; return the exit status."""
    logs.configure()
    network = LocalNetwork(config, observer(config, args))
    try:
        asyncio.run(_main(network))
    except (KeyboardInterrupt, asyncio.CancelledError):
        network.report.status = TaskStatus.INTERRUPTED
        network.report.error = network.report.error or "interrupted"
    finally:
        workroot.unlock(session.lock_fd)
    report = network.report
    interrupted = report.status is TaskStatus.INTERRUPTED
    if interrupted:
        report.resume_command = session.resume_command
        report.work_root = session.root
    if args.json:
        print(json.dumps(report.to_json()))
    elif report.error and args.quiet and not interrupted:
        print(f"error: {report.error}", file=sys.stderr)
    if interrupted:
        print(interruption_note(report), file=sys.stderr)
    if report.ok:
        return EXIT_OK
    return EXIT_INTERRUPTED if interrupted else EXIT_FAILED


def interruption_note(report: Report) -> str:
    stats = report.stats
    kept = f"; their results are in {report.out_dir}" if report.out_dir and report.outputs else ""
    return (
        f"interrupted: {stats.verified} of {stats.subtasks} subtasks verified{kept}; "
        f"the work dir is kept in {report.work_root}\n"
        f"resume with: {report.resume_command}"
    )
