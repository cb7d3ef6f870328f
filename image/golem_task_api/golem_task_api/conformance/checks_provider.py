"""The provider's contract: one call, a result path in the work dir, every final reply read."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2
from grpclib.client import Channel, UnaryUnaryMethod

from golem_task_api.conformance.battery import check
from golem_task_api.conformance.node import Handed, TaskDriver, call
from golem_task_api.conformance.report import Fail, Warn
from golem_task_api.conformance.target import (
    NODE_HEALTH_WAIT,
    Target,
    exited_within,
    node_context,
    stop,
)
from golem_task_api.node.client import HEALTH_CHECK, HEALTH_SERVICE
from golem_task_api.node.ports import free_port
from golem_task_api.node.services import TaskApiService
from golem_task_api.proto import golem_task_api_pb2 as pb
from golem_task_api.wire.methods import PROVIDER_SERVICE

#: The node's benchmark wait (golem.task.taskserver.BENCHMARK_TIMEOUT).
BENCHMARK_WAIT = 60.0
EXIT_WAIT = 5.0
SHUTDOWN_EXIT_WAIT = 3.0
PARALLEL_ROUNDS = 4


async def _one_subtask(target: Target) -> tuple[TaskDriver, Handed]:
    """A task's first subtask, handed out by the app's requestor (then stopped)."""
    requestor = await target.requestor(target.fresh_dir("requestor"))
    try:
        driver = TaskDriver(target, requestor, use_tls=False)
        await driver.create()
        handed = await driver.next()
    finally:
        await stop(requestor)
    if handed is None:
        raise Fail("NextSubtask gave nothing right after CreateTask")
    return driver, handed


@check("provider.result-path", "Compute returns a relative path to a file inside its task dir")
async def result_path(target: Target) -> str:
    driver, handed = await _one_subtask(target)
    delivered = await driver.compute(handed)  # `node.check_result_path` judges the answer
    return f"result {delivered.name!r} ({delivered.stat().st_size} bytes) inside the task dir"


@check("provider.exits-after-call", "the provider exits by itself after its one call")
async def exits_after_call(target: Target) -> str:
    driver, handed = await _one_subtask(target)
    took = []
    for what in ("Compute", "RunBenchmark"):
        root = driver.hand_out(handed)
        provider = await target.provider(root)
        try:
            if what == "Compute":
                params = handed.subtask.params
                await call(what, provider.compute(driver.task_id, handed.subtask_id, params))
            else:
                await call(what, provider.run_benchmark())
            await provider.close()
            seconds = await exited_within(provider.service, EXIT_WAIT)
        finally:
            await stop(provider)
        if seconds is None:
            raise Fail(
                f"the provider still ran {EXIT_WAIT:g} s after its {what} reply "
                "(a provider answers one call and exits; the node waits for it)"
            )
        took.append(f"exited {seconds:.2f} s after {what}")
    return ", ".join(took)


async def _serving_channel(
    host: str, port: int, work_dir: Path, service: TaskApiService
) -> Channel:
    """grpclib's own channel, as the node opens it, once health says SERVING."""
    deadline = time.monotonic() + NODE_HEALTH_WAIT
    context = node_context(work_dir)
    while True:
        channel = Channel(host, port, ssl=context)
        check_call = UnaryUnaryMethod(
            channel,
            HEALTH_CHECK.path(HEALTH_SERVICE),
            health_pb2.HealthCheckRequest,
            health_pb2.HealthCheckResponse,
        )
        try:
            reply = await check_call(health_pb2.HealthCheckRequest(service=""), timeout=1.0)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return channel
        except Exception:  # not up yet: refused, reset, half a handshake
            pass
        channel.close()
        if time.monotonic() > deadline or not service.running():
            raise Fail(f"a provider was not SERVING within {NODE_HEALTH_WAIT:g} s")
        await asyncio.sleep(0.05)


FINAL_CALLS: dict[str, tuple[str, Callable[[Handed, str], Message], type[Message]]] = {
    "Compute": (
        "Compute",
        lambda h, task_id: pb.ComputeRequest(
            task_id=task_id,
            subtask_id=h.subtask_id,
            subtask_params_json=json.dumps(h.subtask.params),
        ),
        pb.ComputeReply,
    ),
    "RunBenchmark": ("RunBenchmark", lambda h, t: pb.RunBenchmarkRequest(), pb.RunBenchmarkReply),
    "Shutdown": ("Shutdown", lambda h, t: pb.ShutdownRequest(), pb.ShutdownReply),
}


async def _round(target: Target, driver: TaskDriver, handed: Handed, name: str) -> str | None:
    """One fresh provider under mutual TLS, one final call from an h2 (grpclib) client.

    The channel stays open until the provider has exited, as the node keeps it;
    the reply lost, or the provider not gone, is the round's failure.
    """
    root = driver.hand_out(handed)
    target.write_tls(root)
    service = target.service(root)
    method, make_request, reply_type = FINAL_CALLS[name]
    port = free_port()
    host, port = await service.start(["provider", str(port)], port)
    try:
        channel = await _serving_channel(host, port, root, service)
        try:
            path = f"/{PROVIDER_SERVICE}/{method}"
            rpc = UnaryUnaryMethod(channel, path, type(make_request(handed, "")), reply_type)
            try:
                await rpc(make_request(handed, driver.task_id), timeout=BENCHMARK_WAIT)
                lost = None
            except Exception as exc:
                lost = f"{type(exc).__name__}: {exc}"
            await exited_within(service, EXIT_WAIT)
        finally:
            channel.close()
    finally:
        await service.stop()
    return lost


@check("provider.final-replies", "every final reply reaches an h2 client (N rounds each, 0 lost)")
async def final_replies(target: Target) -> str:
    driver, handed = await _one_subtask(target)
    rounds = target.spec.rounds
    limit = asyncio.Semaphore(PARALLEL_ROUNDS)

    async def limited(name: str) -> str | None:
        async with limit:
            return await _round(target, driver, handed, name)

    lost: dict[str, list[str]] = {}
    for name in FINAL_CALLS:
        results = await asyncio.gather(*(limited(name) for _ in range(rounds)))
        lost[name] = [result for result in results if result is not None]
    if any(lost.values()):
        counts = ", ".join(f"{name} {len(items)} of {rounds}" for name, items in lost.items())
        example = next(items[0] for items in lost.values() if items)
        raise Fail(
            f"final replies lost to the node's h2 client: {counts} (e.g. {example}); the server "
            "must let the client read its last reply before it stops"
        )
    return f"{rounds} rounds each of Compute, RunBenchmark, Shutdown under mutual TLS: 0 lost"


@check("provider.shutdown-during-compute", "Shutdown during Compute stops the provider promptly")
async def shutdown_during_compute(target: Target) -> str:
    driver, handed = await _one_subtask(target)
    provider = await target.provider(driver.hand_out(handed))
    started = time.monotonic()
    compute = asyncio.create_task(
        provider.compute(driver.task_id, handed.subtask_id, handed.subtask.params)
    )
    try:
        await asyncio.sleep(0.1)
        computed_first = compute.done()
        if not computed_first:
            try:
                await asyncio.wait_for(provider.send_shutdown(), SHUTDOWN_EXIT_WAIT)
            except (grpc.aio.AioRpcError, TimeoutError) as exc:
                raise Fail(f"Shutdown during Compute was not answered ({exc})") from None
        seconds = await exited_within(provider.service, SHUTDOWN_EXIT_WAIT)
        if seconds is None:
            raise Fail(
                f"the provider still ran {SHUTDOWN_EXIT_WAIT:g} s after Shutdown during Compute "
                "(Shutdown must interrupt the work)"
            )
    finally:
        compute.cancel()
        await asyncio.gather(compute, return_exceptions=True)
        await stop(provider)
    if computed_first:
        took = time.monotonic() - started
        return f"Compute ended within 0.1 s, before Shutdown could cut it; exited ({took:.2f} s)"
    return f"Shutdown sent 0.1 s into Compute; the provider exited {seconds:.2f} s later"


@check("provider.benchmark", "RunBenchmark gives a positive score within the node's 60 s")
async def benchmark(target: Target) -> str:
    provider = await target.provider(target.fresh_dir("provider"))
    try:
        started = time.monotonic()
        try:
            score = await asyncio.wait_for(provider.run_benchmark(), BENCHMARK_WAIT)
        except TimeoutError:
            raise Fail(
                f"RunBenchmark gave no score within the node's {BENCHMARK_WAIT:g} s"
            ) from None
        except grpc.aio.AioRpcError as exc:
            raise Fail(f"RunBenchmark failed ({exc.code().name}: {exc.details()})") from None
        took = time.monotonic() - started
    finally:
        await stop(provider)
    if score < 0:
        raise Fail(f"RunBenchmark gave a negative score {score} (the node refuses it)")
    if score == 0:
        raise Warn("RunBenchmark gave 0: the node cannot rank this machine")
    return f"score {score:g} in {took:.2f} s"
