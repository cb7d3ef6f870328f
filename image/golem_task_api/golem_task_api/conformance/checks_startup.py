"""Start-up, TLS, the wire from both client stacks, and where the app writes."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import tempfile
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2

from golem_task_api.conformance.battery import check
from golem_task_api.conformance.node import TaskDriver
from golem_task_api.conformance.report import Fail
from golem_task_api.conformance.target import NODE_HEALTH_WAIT, Sandbox, Target, stop, timed
from golem_task_api.node.channels import GrpclibChannel
from golem_task_api.node.client import HEALTH_CHECK, HEALTH_SERVICE, AppNotReadyError
from golem_task_api.node.services import DockerTaskApiService
from golem_task_api.wire import tls


async def _serving_after(target: Target, role: str, use_tls: bool) -> float:
    work_dir = target.fresh_dir(role)
    start = target.requestor if role == "requestor" else target.provider
    client = None
    try:
        with timed() as took:
            client = await start(work_dir, use_tls=use_tls)
    except AppNotReadyError as exc:
        mode = "mutual TLS (TLS files in the work dir)" if use_tls else "plaintext"
        raise Fail(
            f"the {role} was not SERVING within the node's {NODE_HEALTH_WAIT:g} s "
            f"wait in {mode}: {exc}"
        ) from None
    finally:
        await stop(client)
    return took[0]


async def _startup(target: Target, use_tls: bool) -> str:
    times = [await _serving_after(target, role, use_tls) for role in ("requestor", "provider")]
    how = "health polled by the node's grpclib client, no ALPN" if use_tls else "health polled"
    return f"requestor SERVING after {times[0]:.2f} s, provider after {times[1]:.2f} s ({how})"


@check("startup.plaintext", "SERVING within 5 s without TLS files (plaintext)")
async def startup_plaintext(target: Target) -> str:
    return await _startup(target, use_tls=False)


@check("startup.mtls", "SERVING within 5 s with the TLS files (mutual TLS)")
async def startup_mtls(target: Target) -> str:
    return await _startup(target, use_tls=True)


def _stranger_context(work_dir: Path, with_cert: bool) -> ssl.SSLContext:
    """A client that trusts the app's server cert but has no (or a foreign) certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(work_dir / tls.SERVER_CERT)
    context.check_hostname = False
    if with_cert:
        from golem_task_api.node.certs import TlsMaterial

        stranger = TlsMaterial.generate()  # self-signed by a CA the app never saw
        with tempfile.TemporaryDirectory() as scratch:
            stranger.write(Path(scratch))
            context.load_cert_chain(Path(scratch) / tls.CLIENT_CERT, Path(scratch) / tls.CLIENT_KEY)
    return context


async def _refuses(target: Target, with_cert: bool) -> str:
    who = "a client certificate from a foreign CA" if with_cert else "no client certificate"
    answers = []
    for role in ("requestor", "provider"):
        work_dir = target.fresh_dir(role)
        start = target.requestor if role == "requestor" else target.provider
        client = await start(work_dir, use_tls=True)
        try:
            channel = GrpclibChannel(
                client.host, client.port, _stranger_context(work_dir, with_cert)
            )
            try:
                request = health_pb2.HealthCheckRequest(service="")
                await channel.call(HEALTH_SERVICE, HEALTH_CHECK, request, timeout=3.0)
            except grpc.aio.AioRpcError as exc:
                answers.append(f"{role}: refused ({exc.code().name})")
            else:
                raise Fail(
                    f"the {role} served a client with {who}: under TLS it must require a "
                    f"client certificate that verifies against {tls.CLIENT_CERT}"
                )
            finally:
                await channel.close()
        finally:
            await stop(client)
    return "; ".join(answers)


@check("tls.client-cert-required", "under TLS, a client without a certificate is refused")
async def client_cert_required(target: Target) -> str:
    return await _refuses(target, with_cert=False)


@check("tls.foreign-ca-refused", "under TLS, a client certificate of a foreign CA is refused")
async def foreign_ca_refused(target: Target) -> str:
    return await _refuses(target, with_cert=True)


async def _whole_task(target: Target, use_tls: bool, sandbox: Sandbox | None = None) -> int:
    requestor = await target.requestor(
        target.fresh_dir("requestor"), use_tls=use_tls, sandbox=sandbox
    )
    try:
        driver = TaskDriver(target, requestor, use_tls=use_tls, sandbox=sandbox)
        await driver.create()
        verified = await driver.finish()
        if verified == 0:
            raise Fail("the task had no subtask to hand out (HasPendingSubtasks false at once)")
        return verified
    finally:
        await stop(requestor)


@check("wire.grpcio", "a whole task driven by a grpcio client (plaintext)")
async def wire_grpcio(target: Target) -> str:
    verified = await _whole_task(target, use_tls=False)
    return f"{verified} subtasks handed out, computed by fresh providers, verified SUCCESS"


@check("wire.grpclib-no-alpn", "a whole task driven by grpclib under mutual TLS, no ALPN offered")
async def wire_grpclib(target: Target) -> str:
    verified = await _whole_task(target, use_tls=True)
    return f"{verified} subtasks verified SUCCESS over mutual TLS as the node's client speaks it"


@check("files.work-dir-only", "a whole task writes nothing outside the work dirs")
async def work_dir_only(target: Target) -> str:
    if target.in_docker:
        return await _container_writes(target)
    sandbox = Sandbox(target.fresh_dir("sandbox"))
    verified = await _whole_task(target, use_tls=False, sandbox=sandbox)
    written = sandbox.written()
    if written:
        shown = ", ".join(written[:3]) + (" ..." if len(written) > 3 else "")
        raise Fail(
            f"the app wrote outside its work dir (in its cwd, HOME or TMPDIR): {shown}; "
            "in the node's container only the work dir is writable"
        )
    return f"{verified} subtasks: cwd, HOME and TMPDIR of every app process stayed empty"


async def _container_writes(target: Target) -> str:
    """The requestor's container file system after a task (`docker diff`)."""
    requestor = await target.requestor(target.fresh_dir("requestor"))
    try:
        driver = TaskDriver(target, requestor, use_tls=False)
        await driver.create()
        await driver.finish()
        assert isinstance(requestor.service, DockerTaskApiService)
        name = requestor.service.container_name or ""
        diff = await asyncio.to_thread(
            subprocess.run, ["docker", "diff", name], capture_output=True, text=True, timeout=30
        )
    finally:
        await stop(requestor)
    changed = [line for line in diff.stdout.splitlines() if line.strip()]
    if changed:
        raise Fail(f"the requestor's container changed files outside /golem/work: {changed[:3]}")
    return "docker diff of the requestor's container after a whole task: nothing changed"
