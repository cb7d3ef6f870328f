"""`tutorial-app run` / `resume`: this app's task on the local Golem network.

It fills in what `golem_task_api.node.network` leaves to the app: the entry
point (or image), the task parameters, the limits a task input must meet
(checked before any app starts), how much work a result stands for, what
the manifest in `--out` says about each result, and a benchmark for the
first ETA.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from golem_task_api.node.cluster import options as cluster_options
from golem_task_api.node.cluster.runtime import Runtime
from golem_task_api.node.network import run_options, session
from golem_task_api.node.network.node import NetworkConfig, ServiceFactory
from golem_task_api.node.network.remote import RemoteProviders
from golem_task_api.node.services import TaskApiService
from golem_task_api.wire import logs

from tutorial_app import version
from tutorial_app.core import params
from tutorial_app.files import zips
from tutorial_app.search import pow

#: The hash rate counts, per verified proof, the hashes a search from nonce 0
#: must try to find it: the nonce plus one (the search returns the smallest).
WORK_UNIT = "hashes"
WORK_LABEL = "nonce + 1 per verified proof"
#: Below this difficulty a subtask takes well under a second: no benchmark.
BENCHMARK_FROM_DIFFICULTY = 22
BENCHMARK_SECONDS = 0.3
LIMITS = (
    f"INPUT: UTF-8 text, 1 to {zips.MAX_INPUT_BYTES} bytes (16 MiB); "
    f"--subtasks 1..{params.MAX_PARTS}; --difficulty {pow.MIN_DIFFICULTY}..{pow.MAX_DIFFICULTY}"
)


def result_hashes(result_zip: Path) -> float:
    """The work a verified result zip stands for (see `WORK_LABEL`)."""
    text = zips.read_text_member(result_zip, zips.MAX_RESULT_BYTES, "result")
    return float(pow.parse_result(text).nonce + 1)


def describer(text: str, difficulty: int) -> Callable[[Path, list[Path]], dict[str, Any]]:
    """What the manifest says of a result: enough to check it with the input alone."""

    def describe(result_zip: Path, inputs: list[Path]) -> dict[str, Any]:
        proof = pow.parse_result(zips.read_text_member(result_zip, zips.MAX_RESULT_BYTES, "result"))
        _, part_input = zips.read_named_text_member(inputs[0], zips.MAX_PART_INPUT_BYTES, "input")
        where: dict[str, Any] = (
            {"salt": part_input[len(text) :]}
            if part_input.startswith(text)
            else {"part_input": part_input}
        )
        return {**where, "difficulty": difficulty, "nonce": proof.nonce, "hash": proof.hash_hex}

    return describe


def process_services() -> ServiceFactory:
    """Each app a fresh process, forked from a pre-imported parent (see `forked`)."""
    from golem_task_api.node.services.forked import ForkingServices

    return ForkingServices([sys.executable, "-m", "tutorial_app.entrypoint"])


def docker_services() -> ServiceFactory:
    from golem_task_api.node.services import DockerTaskApiService

    # Containers do not inherit our environment; pass the log level on.
    level = os.environ.get(logs.LOG_LEVEL_ENV)
    extra = ["-e", f"{logs.LOG_LEVEL_ENV}={level}"] if level else []

    def make(work_dir: Path) -> TaskApiService:
        return DockerTaskApiService(
            work_dir, version.IMAGE_NAME, version.IMAGE_TAG, extra_args=extra
        )

    return make


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


def read_input(parser: argparse.ArgumentParser, path: Path) -> str:
    """The input text, or one line saying which limit it breaks."""
    run_options.check_inputs(parser, [path])
    size = path.stat().st_size
    if size == 0:
        parser.error(f"input {path} is empty; it needs 1 to {zips.MAX_INPUT_BYTES} bytes of text")
    if size > zips.MAX_INPUT_BYTES:
        parser.error(f"input {path} is {size} bytes; at most {zips.MAX_INPUT_BYTES} (16 MiB)")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        parser.error(f"input {path} is not UTF-8 text ({exc.reason} at byte {exc.start})")
    except OSError as exc:
        parser.error(f"cannot read input {path}: {exc.strerror}")


def check_task_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if not pow.MIN_DIFFICULTY <= args.difficulty <= pow.MAX_DIFFICULTY:
        parser.error(
            f"--difficulty must be between {pow.MIN_DIFFICULTY} and {pow.MAX_DIFFICULTY}, "
            f"got {args.difficulty}"
        )
    if not 1 <= args.subtasks <= params.MAX_PARTS:
        parser.error(f"--subtasks must be between 1 and {params.MAX_PARTS}, got {args.subtasks}")
    run_options.check_run_options(parser, args, "tutorial-app")


def run_command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    task_id: str | None = None  # a new task's is made by the config
    if args.resume is not None:
        saved = session.load_saved(parser, args.resume.resolve())
        run_options.restore_options(args, saved)
        args.input, args.difficulty = Path(saved["input"]), saved["difficulty"]
        args.runtime, task_id = saved["runtime"], saved["task_id"]
        cluster_options.restore(args, saved)
        kept = args.resume.resolve() / "requestor" / task_id / "task_inputs" / args.input.name
        if kept.is_file():  # the copy the task was created from, whatever became of INPUT
            args.input = kept
    elif args.input is None:
        parser.error("give the INPUT file (or --resume WORK_ROOT)")
    text = read_input(parser, args.input)
    check_task_options(parser, args)
    cluster_options.check(parser, args)
    if args.runtime == "docker":  # the requestor runs here in the image too
        check_image(parser)
    settings = {
        "input": str(args.input.resolve()),
        "difficulty": args.difficulty,
        "runtime": args.runtime,
        **cluster_options.saved(args),
    }
    session.preflight(parser, args, task_id)
    remote = cluster_options.open_cluster(parser, args, cluster_runtime(args))
    try:
        return _run(parser, args, text, task_id, settings, remote)
    finally:
        if remote is not None:
            remote.close()


def cluster_runtime(args: argparse.Namespace) -> Runtime:
    """How cluster workers start this app's providers (result size: the app's own limit)."""
    limit = zips.MAX_RESULT_BYTES + zips.ZIP_OVERHEAD_BYTES
    if args.runtime == "docker":
        image = f"{version.IMAGE_NAME}:{version.IMAGE_TAG}"
        return Runtime(image=image, tls=args.tls, max_result_bytes=limit)
    command = ("python", "-m", "tutorial_app.entrypoint")
    return Runtime(command=command, tls=args.tls, max_result_bytes=limit)


def _run(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    text: str,
    task_id: str | None,
    settings: dict[str, Any],
    remote: RemoteProviders | None,
) -> int:
    benchmark = None
    if args.difficulty >= BENCHMARK_FROM_DIFFICULTY:
        from tutorial_app.search import search

        def benchmark() -> float:
            return search.measure_hash_rate(BENCHMARK_SECONDS)

    app = functools.partial(
        NetworkConfig,
        inputs=[args.input.resolve()],
        task_params={
            "difficulty": args.difficulty,
            "resources": [args.input.name],
            "subtasks_count": args.subtasks,
        },
        make_service=docker_services() if args.runtime == "docker" else process_services(),
        work_meter=result_hashes,
        work_unit=WORK_UNIT,
        work_label=WORK_LABEL,
        expected_work=float(2**args.difficulty),
        benchmark=benchmark,
        describe=describer(text, args.difficulty),
        remote=remote,
    )
    config = run_options.network_config(parser, args, app, task_id)
    held = session.hold(parser, args, config, settings, "tutorial-app resume {root}")
    return session.execute(held.config, args, held)
