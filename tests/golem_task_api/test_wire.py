"""Every field crosses the wire intact, both ways (in-process server, real gRPC)."""

from pathlib import Path
from typing import Any

import pytest
from golem_task_api.app.handlers import ProviderAppHandler, RequestorAppHandler
from golem_task_api.wire.dirutils import ProviderTaskDir, RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from golem_task_api.wire.structs import Infrastructure, Subtask, Task

from tests.golem_task_api.support import start_provider, start_requestor

PARAMS: dict[str, Any] = {"text": "żółw ✓ 🐢", "n": [1, 2.5, None, True], "nested": {"a": {}}}


class RecordingRequestor(RequestorAppHandler):
    """Records what arrives and answers with values chosen by the test."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.subtask: Subtask | None = None
        self.verdict: tuple[VerifyResult, str | None] = (VerifyResult.SUCCESS, None)

    async def create_task(
        self, task_work_dir: RequestorTaskDir, max_subtasks_count: int, task_params: dict[str, Any]
    ) -> Task:
        self.calls.append(("create_task", task_work_dir, max_subtasks_count, task_params))
        return Task("docker_gpu", {"image": "ü/img", "tag": "t"}, Infrastructure(1536.25))

    async def next_subtask(
        self, task_work_dir: RequestorTaskDir, subtask_id: str, opaque_node_id: str
    ) -> Subtask | None:
        self.calls.append(("next_subtask", task_work_dir, subtask_id, opaque_node_id))
        return self.subtask

    async def verify(
        self, task_work_dir: RequestorTaskDir, subtask_id: str
    ) -> tuple[VerifyResult, str | None]:
        self.calls.append(("verify", task_work_dir, subtask_id))
        return self.verdict

    async def discard_subtasks(
        self, task_work_dir: RequestorTaskDir, subtask_ids: list[str]
    ) -> list[str]:
        self.calls.append(("discard_subtasks", task_work_dir, subtask_ids))
        return subtask_ids[::2]

    async def run_benchmark(self, work_dir: Path) -> float:
        self.calls.append(("run_benchmark", work_dir))
        return 0.5

    async def has_pending_subtasks(self, task_work_dir: RequestorTaskDir) -> bool:
        self.calls.append(("has_pending_subtasks", task_work_dir))
        return True

    async def abort_task(self, task_work_dir: RequestorTaskDir) -> None:
        self.calls.append(("abort_task", task_work_dir))

    async def abort_subtask(self, task_work_dir: RequestorTaskDir, subtask_id: str) -> None:
        self.calls.append(("abort_subtask", task_work_dir, subtask_id))


class RecordingProvider(ProviderAppHandler):
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def compute(
        self, task_work_dir: ProviderTaskDir, subtask_id: str, subtask_params: dict[str, Any]
    ) -> Path:
        self.calls.append(("compute", task_work_dir, subtask_id, subtask_params))
        return task_work_dir / "out" / "résultat.bin"  # absolute: sent relative

    async def run_benchmark(self, work_dir: Path) -> float:
        return 1.0


async def test_requestor_calls_round_trip(tmp_path: Path) -> None:
    handler = RecordingRequestor()
    work_dir = tmp_path / "requestor"
    client = await start_requestor(work_dir, handler)
    task_dir = RequestorTaskDir(work_dir / "task-1")
    try:
        task = await client.create_task("task-1", 7, PARAMS)
        assert task == Task("docker_gpu", {"image": "ü/img", "tag": "t"}, Infrastructure(1536.25))
        assert handler.calls[-1] == ("create_task", task_dir, 7, PARAMS)
        assert isinstance(handler.calls[-1][1], RequestorTaskDir)

        assert await client.next_subtask("task-1", "sub-1", "node-ü") is None
        assert handler.calls[-1] == ("next_subtask", task_dir, "sub-1", "node-ü")
        handler.subtask = Subtask(params=PARAMS, resources=["a.zip", "ż.bin"])
        assert await client.next_subtask("task-1", "sub-2") == handler.subtask
        assert handler.calls[-1] == ("next_subtask", task_dir, "sub-2", "")
        handler.subtask = Subtask(params={}, resources=[])
        assert await client.next_subtask("task-1", "sub-3") == Subtask({}, [])

        for verdict in VerifyResult:
            handler.verdict = (verdict, f"{verdict.name}: żółw ✓ 🐢")
            assert await client.verify("task-1", "sub-2") == handler.verdict
        handler.verdict = (VerifyResult.FAILURE, None)
        assert await client.verify("task-1", "sub-2") == (VerifyResult.FAILURE, "")
        assert handler.calls[-1] == ("verify", task_dir, "sub-2")

        ids = ["s1", "s2", "s3"]
        assert await client.discard_subtasks("task-1", ids) == ["s1", "s3"]
        assert handler.calls[-1] == ("discard_subtasks", task_dir, ids)
        assert await client.discard_subtasks("task-1", []) == []

        assert await client.has_pending_subtasks("task-1") is True
        assert await client.run_benchmark() == 0.5
        assert handler.calls[-1] == ("run_benchmark", work_dir)
        await client.abort_subtask("task-1", "sub-2")
        assert handler.calls[-1] == ("abort_subtask", task_dir, "sub-2")
        await client.abort_task("task-1")
        assert handler.calls[-1] == ("abort_task", task_dir)
    finally:
        await client.shutdown()
    assert not client.service.running()


async def test_provider_compute_round_trip(tmp_path: Path) -> None:
    handler = RecordingProvider()
    work_dir = tmp_path / "provider"
    client = await start_provider(work_dir, handler)
    try:
        output = await client.compute("task-1", "sub-1", PARAMS)
        assert output == Path("out/résultat.bin")
        assert handler.calls == [("compute", ProviderTaskDir(work_dir), "sub-1", PARAMS)]
        assert isinstance(handler.calls[0][1], ProviderTaskDir)
        # Single shot: the server stops by itself after its one answer.
        await client.service.wait_until_shutdown_complete(5.0)
    finally:
        await client.shutdown()


def test_one_rule_for_ids_on_both_sides() -> None:
    from golem_task_api.node import moves
    from golem_task_api.wire import ids
    from tutorial_app.core import params

    for bad in ["", ".", "..", "a/b", "a\\b", "a\0b"]:
        assert ids.plain_name_problem(bad) is not None
        with pytest.raises(ValueError):
            ids.check_dir_id("subtask_id", bad)  # the app's server
        with pytest.raises(moves.FileMoveError):
            moves.check_plain_name(bad, "subtask id")  # the node's moves
        with pytest.raises(ValueError):
            params.check_subtask_id(bad)  # the tutorial app's stricter rule
    assert params.check_subtask_id("sub-0001-abc.1") == "sub-0001-abc.1"
    with pytest.raises(ValueError, match="1-128 characters"):
        ids.check_portable_id("subtask id", "żółw")
