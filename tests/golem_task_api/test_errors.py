"""Error mapping and input checks; the server keeps answering afterwards."""

import logging
from pathlib import Path

import grpc
import pytest
from golem_task_api.app.stack import status_of
from golem_task_api.node.channels import GrpcioChannel
from golem_task_api.node.client import RequestorAppClient
from golem_task_api.proto import golem_task_api_pb2 as pb
from golem_task_api.proto import golem_task_api_pb2_grpc as pb_grpc
from golem_task_api.testutils import ServiceFactory
from golem_task_api.wire import errors
from grpclib.const import Status

BAD_IDS = ["", ".", "..", "a/b", "/abs", "a\\b", "a\0b", "x" * 129]


def stub(client: RequestorAppClient) -> pb_grpc.RequestorAppStub:
    """A raw grpcio stub on the client's plaintext channel (messages our client never sends)."""
    channel = client._channel
    assert isinstance(channel, GrpcioChannel)
    return pb_grpc.RequestorAppStub(channel.channel)


async def expect_status(call: object, code: grpc.StatusCode) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call  # type: ignore[misc]
    assert info.value.code() is code, info.value.details()
    return str(info.value.details())


async def test_value_error_is_invalid_argument(fake_requestor: RequestorAppClient) -> None:
    details = await expect_status(
        fake_requestor.create_task("t1", 1, {"fail": "value"}), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert details == "bad value: żółw ✓"
    assert await fake_requestor.run_benchmark() == 123.5


async def test_other_exception_is_internal_and_logged(
    fake_requestor: RequestorAppClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="golem_task_api.app.stack"):
        details = await expect_status(
            fake_requestor.create_task("t1", 1, {"fail": "runtime", "message": "ü"}),
            grpc.StatusCode.INTERNAL,
        )
    assert details == "boom: ü"
    (record,) = [r for r in caplog.records if r.name == "golem_task_api.app.stack"]
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    task_dir = fake_requestor.service.work_dir / "t1"
    task_dir.mkdir()
    (task_dir / "task_inputs").mkdir()
    await fake_requestor.create_task("t1", 3, {})
    assert await fake_requestor.has_pending_subtasks("t1") is True


@pytest.mark.parametrize("bad_id", BAD_IDS)
async def test_bad_ids_are_invalid_argument(
    fake_requestor: RequestorAppClient, bad_id: str
) -> None:
    c = fake_requestor
    calls = [
        c.create_task(bad_id, 1, {}),
        c.next_subtask(bad_id, "s1"),
        c.next_subtask("t1", bad_id),
        c.verify(bad_id, "s1"),
        c.verify("t1", bad_id),
        c.discard_subtasks("t1", ["ok", bad_id]),
        c.discard_subtasks(bad_id, []),
        c.has_pending_subtasks(bad_id),
        c.abort_task(bad_id),
        c.abort_subtask("t1", bad_id),
    ]
    for call in calls:
        details = await expect_status(call, grpc.StatusCode.INVALID_ARGUMENT)
        assert "_id" in details
    assert not any(fake_requestor.service.work_dir.iterdir())
    assert await c.run_benchmark() == 123.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "task_params_json is not valid JSON"),
        ("[1, 2]", "task_params_json must be a JSON object, not list"),
        ("null", "task_params_json must be a JSON object, not NoneType"),
        ("", "task_params_json is not valid JSON"),
    ],
)
async def test_bad_task_params_json(
    fake_requestor: RequestorAppClient, text: str, message: str
) -> None:
    request = pb.CreateTaskRequest(task_id="t1", max_subtasks_count=1, task_params_json=text)
    details = await expect_status(
        stub(fake_requestor).CreateTask(request), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert details.startswith(message)


async def test_errors_in_a_real_process(tmp_path: Path, service_factory: ServiceFactory) -> None:
    work_dir = tmp_path / "requestor"
    work_dir.mkdir()
    from golem_task_api.node.ports import free_port

    client = await RequestorAppClient.create(service_factory(work_dir), free_port())
    try:
        await expect_status(
            client.create_task("t", 1, {"fail": "runtime"}), grpc.StatusCode.INTERNAL
        )
        await expect_status(client.create_task("..", 1, {}), grpc.StatusCode.INVALID_ARGUMENT)
        assert await client.run_benchmark() == 123.5
    finally:
        await client.shutdown()


async def test_overlong_node_id_is_invalid_argument(fake_requestor: RequestorAppClient) -> None:
    details = await expect_status(
        fake_requestor.next_subtask("t1", "s1", "n" * 1025), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert details == "opaque_node_id is longer than 1024 characters"
    assert await fake_requestor.run_benchmark() == 123.5


class Unavailable(errors.TaskApiError):
    """An app's own error type with its own status (none of the four above)."""

    status = "UNAVAILABLE"


class Garbled(errors.TaskApiError):
    status = "NOT_A_STATUS"


def test_an_error_carries_its_status_and_the_table_is_for_foreign_types() -> None:
    assert status_of("Verify", Unavailable("busy")) == (Status.UNAVAILABLE, "busy")
    assert errors.status_for(Unavailable("busy")) == ("UNAVAILABLE", False)
    assert all(not issubclass(kind, errors.TaskApiError) for kind, _, _ in errors.STATUS_TABLE)
    # A subclass of one of ours keeps its parent's status, or sets its own.
    moved = type("Moved", (errors.NotFound,), {"status": "OUT_OF_RANGE"})
    assert status_of("Verify", moved("gone")) == (Status.OUT_OF_RANGE, "gone")
    assert status_of("Verify", errors.NotFound("gone")) == (Status.NOT_FOUND, "gone")


def test_an_error_with_a_status_grpc_does_not_know_is_internal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        assert status_of("Verify", Garbled("?")) == (Status.INTERNAL, "?")
    assert "Verify failed" in caplog.text
