"""Small pieces: id checks, logging setup, health, the executor."""

import logging
import threading
from pathlib import Path

import grpc
import pytest
from golem_task_api.app.threading import Executor
from golem_task_api.wire import logs
from golem_task_api.wire.ids import check_id
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.golem_task_api.fake_app import FakeRequestor


@pytest.mark.parametrize("good", ["a", "task-1", "ż" * 128, "a.b", "..a", " "])
def test_good_ids(good: str) -> None:
    assert check_id("task_id", good) == good


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "a\\b", "a\0b", "x" * 129])
def test_bad_ids(bad: str) -> None:
    with pytest.raises(ValueError, match="subtask_id"):
        check_id("subtask_id", bad)


@pytest.mark.parametrize(
    ("value", "level"), [(None, logging.WARNING), ("debug", logging.DEBUG), ("nope", 30)]
)
def test_logs_configure(monkeypatch: pytest.MonkeyPatch, value: str | None, level: int) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    if value is None:
        monkeypatch.delenv(logs.LOG_LEVEL_ENV, raising=False)
    else:
        monkeypatch.setenv(logs.LOG_LEVEL_ENV, value)
    try:
        logs.configure()
        logs.configure()
        assert root.level == level
        assert logging.getLogger("hpack").getEffectiveLevel() == max(level, logging.INFO)
        ours = [h for h in root.handlers if h not in saved[0]]
        assert len(ours) == 1 and isinstance(ours[0], logging.StreamHandler)
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
        logging.getLogger("hpack").setLevel(logging.NOTSET)


async def test_health_serves_empty_and_role_service(tmp_path: Path) -> None:
    from tests.golem_task_api.support import start_requestor

    client = await start_requestor(tmp_path, FakeRequestor())
    try:
        async with grpc.aio.insecure_channel(f"{client.host}:{client.port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            for name in ("", "golem_task_api.RequestorApp"):
                reply = await stub.Check(health_pb2.HealthCheckRequest(service=name))
                assert reply.status == health_pb2.HealthCheckResponse.SERVING
            with pytest.raises(grpc.aio.AioRpcError):
                await stub.Check(health_pb2.HealthCheckRequest(service="nope"))
    finally:
        await client.shutdown()


async def test_executor_runs_in_a_worker_thread_and_propagates_errors() -> None:
    main = threading.get_ident()
    assert await Executor.run(threading.get_ident) != main

    def fail(message: str) -> None:
        raise KeyError(message)

    with pytest.raises(KeyError, match="ü"):
        await Executor.run(fail, "ü")
    assert not Executor.is_shutting_down()
    assert not Executor.wait_for_shutdown(0.01)
    Executor.request_shutdown()
    assert Executor.is_shutting_down() and Executor.wait_for_shutdown(0)
    Executor.reset()
