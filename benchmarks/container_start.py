"""Cold start of the app's container: `docker run` to health SERVING.

Starts the image the way a node's Docker CPU environment does
(DockerTaskApiService: bridge network with the port published on 127.0.0.1,
the work dir at /golem/work, `--user UID` alone, one core, 1 GiB, all
capabilities dropped, stdin open, the `requestor PORT` or `provider PORT`
command, mutual TLS files in the work dir) and polls the
gRPC health service every 10 ms until it answers SERVING. The clock starts
just before `docker run` is spawned. Each run uses a fresh container and
work dir; the figures are min / median / max over the runs.

Also reports the image's size. Needs a running engine and the image
(scripts/docker-test-env builds both).

    python benchmarks/container_start.py [--runs N] [--role requestor|provider] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
from golem_task_api.node.certs import write_tls_files
from golem_task_api.node.channels import open_channel
from golem_task_api.node.client import HEALTH_CHECK, HEALTH_SERVICE
from golem_task_api.node.ports import free_port
from golem_task_api.node.services import DockerTaskApiService
from golem_task_api.node.services.docker import node_limits
from grpc_health.v1 import health_pb2
from tutorial_app.version import IMAGE_NAME, IMAGE_TAG

POLL_INTERVAL = 0.01
TIMEOUT = 30.0


def image_size(ref: str) -> int:
    out = subprocess.run(
        ["docker", "image", "inspect", "-f", "{{.Size}}", ref],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


async def one_start(role: str, user: str, tls: bool) -> float:
    """Seconds from spawning `docker run` to the first SERVING answer."""
    with tempfile.TemporaryDirectory(prefix="container-start-") as tmp:
        work_dir = Path(tmp)
        if tls:
            write_tls_files(work_dir)
        if os.getuid() == 0:
            for path in [work_dir, *work_dir.iterdir()]:
                os.chown(path, int(user), 0)
        service = DockerTaskApiService(
            work_dir,
            IMAGE_NAME,
            IMAGE_TAG,
            user=user,
            name_prefix="container-start",
            network="bridge",
            extra_args=node_limits(),
        )
        port = free_port()
        started = time.perf_counter()
        host, port = await service.start([role, str(port)], port)
        try:
            async with open_channel(work_dir, host, port) as channel:
                while True:
                    if time.perf_counter() - started > TIMEOUT:
                        raise TimeoutError(f"not SERVING within {TIMEOUT} s")
                    if not service.running():
                        raise RuntimeError("the container exited before it was SERVING")
                    try:
                        reply = await channel.call(
                            HEALTH_SERVICE, HEALTH_CHECK, health_pb2.HealthCheckRequest(), 1.0
                        )
                    except grpc.aio.AioRpcError:
                        await asyncio.sleep(POLL_INTERVAL)
                        continue
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return time.perf_counter() - started
                    await asyncio.sleep(POLL_INTERVAL)
        finally:
            await service.stop()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--role", choices=["requestor", "provider"], default="requestor")
    parser.add_argument("--user", default="12345", help="uid to run as (alone, as the node)")
    parser.add_argument("--no-tls", action="store_true", help="serve plaintext")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    ref = f"{IMAGE_NAME}:{IMAGE_TAG}"
    try:
        size = image_size(ref)
    except (OSError, subprocess.CalledProcessError):
        print(f"image {ref} not found: run scripts/docker-test-env", file=sys.stderr)
        return 2
    times = [await one_start(args.role, args.user, not args.no_tls) for _ in range(args.runs)]
    cold = {
        "min": round(min(times), 3),
        "median": round(statistics.median(times), 3),
        "max": round(max(times), 3),
    }
    size_mb = round(size / 1e6, 1)
    result = {
        "image": ref,
        "image_size_mb": size_mb,
        "role": args.role,
        "runs": args.runs,
        "cold_start_s": cold,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"image {ref}: {size_mb} MB")
        print(
            f"cold start ({args.role}, docker run -> SERVING, {args.runs} runs): "
            f"min {cold['min']:.3f} s, median {cold['median']:.3f} s, max {cold['max']:.3f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
