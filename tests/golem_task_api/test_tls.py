"""Mutual TLS when the work dir holds the files; plaintext otherwise."""

import asyncio
import contextlib
import ssl
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest
from golem_task_api.node import client as client_module
from golem_task_api.node.certs import write_tls_files
from golem_task_api.node.client import RequestorAppClient
from golem_task_api.node.ports import free_port
from golem_task_api.proto import golem_task_api_pb2 as pb
from golem_task_api.proto import golem_task_api_pb2_grpc as pb_grpc
from golem_task_api.testutils import ServiceFactory, TaskLifecycleUtil
from golem_task_api.wire import tls

from tests.golem_task_api.fake_app import FakeRequestor
from tests.golem_task_api.support import FAKE_APP_COMMAND, fake_service, start_requestor


def address(client: RequestorAppClient) -> str:
    return f"127.0.0.1:{client.port}"


def credentials_from(server_dir: Path, client_dir: Path | None) -> grpc.ChannelCredentials:
    """Trust `server_dir`'s server certificate; present `client_dir`'s client pair (None: none)."""
    server_cert = (server_dir / tls.SERVER_CERT).read_bytes()
    if client_dir is None:
        return grpc.ssl_channel_credentials(root_certificates=server_cert)
    return grpc.ssl_channel_credentials(
        root_certificates=server_cert,
        private_key=(client_dir / tls.CLIENT_KEY).read_bytes(),
        certificate_chain=(client_dir / tls.CLIENT_CERT).read_bytes(),
    )


async def benchmark_with(target: str, credentials: grpc.ChannelCredentials | None) -> float:
    options = [("grpc.ssl_target_name_override", "localhost")]
    if credentials is None:
        channel = grpc.aio.insecure_channel(target)
    else:
        channel = grpc.aio.secure_channel(target, credentials, options=options)
    async with channel:
        reply = await pb_grpc.RequestorAppStub(channel).RunBenchmark(
            pb.RunBenchmarkRequest(), timeout=3.0
        )
        return float(reply.score)


@pytest.fixture
async def tls_requestor(tmp_path: Path) -> RequestorAppClient:
    work_dir = tmp_path / "requestor"
    write_tls_files(work_dir)
    client = await start_requestor(work_dir, FakeRequestor())
    yield client  # type: ignore[misc]
    await client.shutdown()


def test_tls_files(tmp_path: Path) -> None:
    write_tls_files(tmp_path)
    for name in tls.ALL_FILES:
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == (0o600 if name.endswith("_key.pem") else 0o644), name
    assert tls.certificate_name((tmp_path / tls.SERVER_CERT).read_bytes()) == "localhost"
    assert tls.tls_enabled(tmp_path)
    (tmp_path / tls.CLIENT_CERT).unlink()
    assert not tls.tls_enabled(tmp_path)
    assert tls.client_tls(tmp_path) is None


async def test_client_with_the_right_certificate_works(tls_requestor: RequestorAppClient) -> None:
    assert await tls_requestor.run_benchmark() == 123.5
    work_dir = tls_requestor.service.work_dir
    credentials = credentials_from(work_dir, work_dir)
    assert await benchmark_with(address(tls_requestor), credentials) == 123.5


async def test_client_without_certificate_is_refused(tls_requestor: RequestorAppClient) -> None:
    work_dir = tls_requestor.service.work_dir
    credentials = credentials_from(work_dir, None)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await benchmark_with(address(tls_requestor), credentials)
    assert info.value.code() is grpc.StatusCode.UNAVAILABLE


async def test_client_from_another_ca_is_refused(
    tls_requestor: RequestorAppClient, tmp_path: Path
) -> None:
    work_dir = tls_requestor.service.work_dir
    other = tmp_path / "other"
    write_tls_files(other)
    credentials = credentials_from(work_dir, other)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await benchmark_with(address(tls_requestor), credentials)
    assert info.value.code() is grpc.StatusCode.UNAVAILABLE


async def test_plaintext_client_is_refused(tls_requestor: RequestorAppClient) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await benchmark_with(address(tls_requestor), None)
    assert info.value.code() is grpc.StatusCode.UNAVAILABLE


async def test_server_with_other_certificate_is_not_trusted(
    tls_requestor: RequestorAppClient, tmp_path: Path
) -> None:
    work_dir = tls_requestor.service.work_dir
    other = tmp_path / "other"
    write_tls_files(other)
    credentials = credentials_from(other, work_dir)
    with pytest.raises(grpc.aio.AioRpcError):
        await benchmark_with(address(tls_requestor), credentials)


@pytest.mark.parametrize("missing", tls.SERVER_SIDE_FILES)
async def test_missing_file_means_plaintext(tmp_path: Path, missing: str) -> None:
    work_dir = tmp_path / "requestor"
    write_tls_files(work_dir)
    (work_dir / missing).unlink()
    client = await start_requestor(work_dir, FakeRequestor())
    try:
        assert await benchmark_with(address(client), None) == 123.5
        assert await client.run_benchmark() == 123.5
    finally:
        await client.shutdown()


async def test_whole_task_over_mutual_tls(tmp_path: Path, service_factory: ServiceFactory) -> None:
    async with TaskLifecycleUtil(tmp_path, service_factory, use_tls=True) as util:
        run = await util.run_task({"parts": 1})
        assert len(run.verdicts) == 1
        assert (util.requestor_work_dir / tls.SERVER_KEY).is_file()


async def test_python_ssl_client_gets_h2(tls_requestor: RequestorAppClient) -> None:
    """An original-style client (Python `ssl`, no host name check) completes the handshake."""
    work_dir = tls_requestor.service.work_dir
    context = ssl.create_default_context(cafile=work_dir / tls.SERVER_CERT)
    context.check_hostname = False
    context.load_cert_chain(work_dir / tls.CLIENT_CERT, work_dir / tls.CLIENT_KEY)
    context.set_alpn_protocols(["h2"])
    _, writer = await asyncio.open_connection("127.0.0.1", tls_requestor.port, ssl=context)
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        assert ssl_object.selected_alpn_protocol() == "h2"
    finally:
        writer.close()
        with contextlib.suppress(ssl.SSLError, ConnectionError):
            await writer.wait_closed()  # the server's HTTP/2 preface races our close


async def test_a_client_that_cannot_open_its_channel_stops_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "requestor"
    work.mkdir()
    write_tls_files(work)

    def unusable_tls_files(*args: object) -> None:
        raise ValueError("unusable TLS files")

    monkeypatch.setattr(client_module, "open_channel", unusable_tls_files)
    service = fake_service(work)
    with pytest.raises(ValueError, match="unusable TLS files"):
        await RequestorAppClient.create(service, free_port(), health_timeout=5.0)
    assert not service.running()


@pytest.mark.parametrize(
    ("damaged", "role"),
    [(tls.SERVER_KEY, "requestor"), (tls.SERVER_CERT, "provider"), (tls.CLIENT_CERT, "requestor")],
)
def test_a_damaged_tls_file_is_one_line_naming_it(tmp_path: Path, damaged: str, role: str) -> None:
    write_tls_files(tmp_path)
    (tmp_path / damaged).write_text("-----BEGIN GARBAGE-----\n", encoding="utf-8")
    done = subprocess.run(
        [*FAKE_APP_COMMAND, role, str(free_port()), "--work-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and str(tmp_path / damaged) in lines[0]


def test_the_node_side_names_a_damaged_client_file(tmp_path: Path) -> None:
    write_tls_files(tmp_path)
    (tmp_path / tls.CLIENT_KEY).write_text("not a key", encoding="utf-8")
    with pytest.raises(tls.TlsFileError, match=tls.CLIENT_KEY):
        tls.client_context(tmp_path)


@pytest.mark.parametrize("build", [tls.server_context, tls.client_context])
def test_one_context_serves_every_work_dir_with_the_same_files(
    tmp_path: Path, build: Callable[[Path], ssl.SSLContext | None]
) -> None:
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for work in (first, second, other):
        work.mkdir()
    write_tls_files(first)
    for name in tls.ALL_FILES:  # what a node does: the same material for every app
        (second / name).write_bytes((first / name).read_bytes())
    write_tls_files(other)
    assert build(first) is build(second)
    assert build(other) is not build(first)
    # Changed files are read afresh: a damaged one is still named.
    (second / tls.CLIENT_KEY).write_text("not a key", encoding="utf-8")
    (second / tls.SERVER_KEY).write_text("not a key", encoding="utf-8")
    with pytest.raises(tls.TlsFileError, match="key"):
        build(second)
    assert build(first) is not None


def test_a_fork_server_builds_the_context_its_next_apps_inherit(tmp_path: Path) -> None:
    from golem_task_api.app import server

    write_tls_files(tmp_path)
    server.prepare_fork(["provider", "40102", "--work-dir", str(tmp_path)])
    kept = tls._server_contexts.kept
    assert any(context is tls.server_context(tmp_path) for context in kept.values())
    server.prepare_fork(["provider", "40102", "--work-dir", str(tmp_path / "missing")])  # no error
