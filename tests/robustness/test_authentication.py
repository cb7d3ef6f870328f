"""Authentication: with the TLS files present only the real node gets in.

Clients without a certificate, with a certificate from another CA, or
speaking plaintext are refused; raw TCP clients sending garbage and
half-open connections that send nothing are tolerated. None of it disturbs
the real node: its calls run at the same time (each over a fresh channel, so
every one needs a new handshake) and all of them must succeed. The overlap
is arranged with events, not timed: every attacker makes its first attempt
after the node created its task and before the node's rounds begin.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from golem_task_api.node.certs import write_tls_files
from golem_task_api.proto import golem_task_api_pb2 as pb
from golem_task_api.wire import tls
from golem_task_api.wire.dirutils import RequestorTaskDir
from tutorial_app.files import zips
from tutorial_app.search import pow
from tutorial_app.store import store

from tests.robustness.support import ProcessApp, requestor_stub, zip_of

NODE_ROUNDS = 8
ATTEMPTS = 6
HALF_OPEN = 16
ATTACK_TIMEOUT = 3.0


class Overlap:
    """Events that make every attack overlap the node's calls: each attacker waits
    until the node has created its task, makes its first attempt, then meets the
    node at `first_attempts`; the node's rounds begin only when all have met."""

    def __init__(self, attackers: int) -> None:
        self.node_busy = threading.Event()
        self.first_attempts = threading.Barrier(attackers + 1)

    def attempt_made(self, number: int) -> None:
        if number == 0:
            self.first_attempts.wait(60.0)


def node_channel(work: Path, port: int) -> grpc.Channel:
    client = tls.client_tls(work)
    target = f"127.0.0.1:{port}"
    if client is None:
        return grpc.insecure_channel(target)
    options = [("grpc.ssl_target_name_override", client.target_name)]
    return grpc.secure_channel(target, client.credentials, options=options)


def run_node(
    work: Path, port: int, start: threading.Event, overlap: Overlap | None = None
) -> list[str]:
    """The real node: a task, then rounds of NextSubtask / deliver / Verify.

    With `overlap`, the node waits after CreateTask until every attacker has
    made its first attempt, so the attacks overlap the node's work by design."""
    task_dir = RequestorTaskDir(work / "task")
    task_dir.prepare()
    (task_dir.task_inputs_dir / "in.txt").write_text("authentic\n")
    done = []
    start.wait(5.0)
    with node_channel(work, port) as channel:
        stub = requestor_stub(channel)
        params = json.dumps({"resources": ["in.txt"], "difficulty": 0})
        request = pb.CreateTaskRequest(task_id="task", max_subtasks_count=NODE_ROUNDS)
        request.task_params_json = params
        stub.CreateTask(request, timeout=10.0)
        done.append("CreateTask")
    if overlap is not None:
        overlap.node_busy.set()
        overlap.first_attempts.wait(60.0)
    for i in range(NODE_ROUNDS):
        with node_channel(work, port) as channel:  # a new handshake every round
            stub = requestor_stub(channel)
            sid = f"s{i}"
            reply = stub.NextSubtask(
                pb.NextSubtaskRequest(task_id="task", subtask_id=sid), timeout=10.0
            )
            assert reply.HasField("subtask")
            task, _ = store.read_task(task_dir)
            assert task is not None
            inp = task.part_input(task.subtasks[sid].part)
            out = task_dir.subtask_outputs_dir(sid)
            out.mkdir(parents=True, exist_ok=True)
            line = f"{pow.hash_hex(inp, 0)} 0".encode()
            (out / f"{sid}.zip").write_bytes(zip_of({zips.RESULT_MEMBER: line}))
            verdict = stub.Verify(pb.VerifyRequest(task_id="task", subtask_id=sid), timeout=10.0)
            assert verdict.result == pb.VerifyReply.SUCCESS, verdict.reason
            done.append(sid)
    with node_channel(work, port) as channel:
        reply = requestor_stub(channel).HasPendingSubtasks(
            pb.HasPendingSubtasksRequest(task_id="task"), timeout=10.0
        )
        assert reply.has_pending_subtasks is False
        done.append("HasPendingSubtasks")
    return done


# -- attackers: each returns what it saw --------------------------------------


def grpc_attacker(
    make_channel: Callable[[], grpc.Channel], overlap: Overlap
) -> Callable[[], list[str]]:
    def attack() -> list[str]:
        seen = []
        overlap.node_busy.wait(60.0)
        for attempt in range(ATTEMPTS):
            with make_channel() as channel:
                try:
                    requestor_stub(channel).HasPendingSubtasks(
                        pb.HasPendingSubtasksRequest(task_id="task"), timeout=ATTACK_TIMEOUT
                    )
                except grpc.RpcError as exc:
                    seen.append(exc.code().name)
                else:
                    seen.append("OK")
            overlap.attempt_made(attempt)
        return seen

    return attack


def garbage_attacker(port: int, overlap: Overlap | None = None) -> list[str]:
    seen = []
    if overlap is not None:
        overlap.node_busy.wait(60.0)
    for i in range(ATTEMPTS):
        with socket.create_connection(("127.0.0.1", port), timeout=ATTACK_TIMEOUT) as sock:
            payloads = [
                os.urandom(4096),
                b"\x16\x03\x01\x00\x05hello",  # a TLS record header with a bogus body
                b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + os.urandom(512),  # h2 preface, then junk
                b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            ]
            with contextlib.suppress(OSError):
                sock.sendall(payloads[i % len(payloads)])
                sock.recv(1024)
            seen.append("sent")
        if overlap is not None:
            overlap.attempt_made(i)
    return seen


@contextlib.contextmanager
def half_open(port: int) -> Iterator[list[socket.socket]]:
    """Connections that never send a byte, held open for the whole test."""
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=2.0) for _ in range(HALF_OPEN)]
    try:
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def other_ca_credentials(work: Path, other: Path) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=(work / tls.SERVER_CERT).read_bytes(),
        private_key=(other / tls.CLIENT_KEY).read_bytes(),
        certificate_chain=(other / tls.CLIENT_CERT).read_bytes(),
    )


@pytest.fixture
def tls_app(tmp_path: Path) -> Iterator[ProcessApp]:
    work = tmp_path / "work"
    write_tls_files(work)
    app = ProcessApp("requestor", work)
    app.channel.close()
    app.channel = node_channel(work, app.port)
    app.wait_serving()
    yield app
    errors = app.stop()
    assert "Traceback" not in errors, errors


def test_hostile_clients_are_refused_while_the_node_works(
    tls_app: ProcessApp, tmp_path: Path
) -> None:
    work, port = tls_app.work_dir, tls_app.port
    other = tmp_path / "other-ca"
    write_tls_files(other)
    target = f"127.0.0.1:{port}"
    override = [("grpc.ssl_target_name_override", "localhost")]
    no_cert = grpc.ssl_channel_credentials(root_certificates=(work / tls.SERVER_CERT).read_bytes())
    overlap = Overlap(attackers=4)
    other_creds = other_ca_credentials(work, other)
    attackers: dict[str, Callable[[], list[str]]] = {
        "no client certificate": grpc_attacker(
            lambda: grpc.secure_channel(target, no_cert, options=override), overlap
        ),
        "certificate from another CA": grpc_attacker(
            lambda: grpc.secure_channel(target, other_creds, options=override), overlap
        ),
        "plaintext": grpc_attacker(lambda: grpc.insecure_channel(target), overlap),
        "garbage bytes": lambda: garbage_attacker(port, overlap),
    }
    start = threading.Event()
    with half_open(port), ThreadPoolExecutor(len(attackers) + 1) as pool:
        attacks = {name: pool.submit(attack) for name, attack in attackers.items()}
        node = pool.submit(run_node, work, port, start, overlap)
        start.set()
        done = node.result(timeout=120)
        seen = {name: future.result(timeout=120) for name, future in attacks.items()}
    # Every attacker made its first attempt between the node's CreateTask and its
    # rounds: had one not, the barrier would have broken and its wait raised.
    assert not overlap.first_attempts.broken
    assert done == ["CreateTask", *(f"s{i}" for i in range(NODE_ROUNDS)), "HasPendingSubtasks"]
    for name in ("no client certificate", "certificate from another CA", "plaintext"):
        assert seen[name] == ["UNAVAILABLE"] * ATTEMPTS, (name, seen[name])
    assert seen["garbage bytes"] == ["sent"] * ATTEMPTS
    # And afterwards the node's own client still works.
    with node_channel(work, port) as channel:
        reply = requestor_stub(channel).HasPendingSubtasks(
            pb.HasPendingSubtasksRequest(task_id="task"), timeout=5.0
        )
    assert reply.has_pending_subtasks is False


def test_plaintext_server_survives_garbage_and_half_open_connections(tmp_path: Path) -> None:
    """Without TLS files there is no authentication, but junk still must not block the node."""
    work = tmp_path / "work"
    work.mkdir()
    app = ProcessApp("requestor", work).wait_serving()
    try:
        start = threading.Event()
        with half_open(app.port), ThreadPoolExecutor(2) as pool:
            node = pool.submit(run_node, work, app.port, start)
            junk = pool.submit(garbage_attacker, app.port)
            start.set()
            assert len(node.result(timeout=60)) == NODE_ROUNDS + 2
            assert junk.result(timeout=60) == ["sent"] * ATTEMPTS
    finally:
        errors = app.stop()
    assert "Traceback" not in errors, errors


def test_a_half_open_tls_handshake_does_not_block_the_node(tls_app: ProcessApp) -> None:
    """A client that starts a TLS handshake and stalls mid-way holds no lock on the server."""
    hello = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(32)  # a cut ClientHello
    stalled = []
    try:
        for _ in range(HALF_OPEN):
            sock = socket.create_connection(("127.0.0.1", tls_app.port), timeout=2.0)
            sock.sendall(hello)
            stalled.append(sock)
        start = threading.Event()
        start.set()
        done = run_node(tls_app.work_dir, tls_app.port, start)
        assert len(done) == NODE_ROUNDS + 2
    finally:
        for sock in stalled:
            sock.close()
