"""Errors say whose fault they are, over gRPC (issue 13, defect 7).

One case per row of the table in docs/DESIGN.md: the node's bad arguments
are INVALID_ARGUMENT; a move the task's state does not allow is
FAILED_PRECONDITION; an unknown task or subtask is NOT_FOUND; damaged local
state is INTERNAL with a logged traceback, never INVALID_ARGUMENT (a corrupt
`task.json` used to be blamed on the node, because JSON and Unicode errors
are `ValueError`s). The server keeps serving after each.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from golem_task_api.proto import golem_task_api_pb2 as pb
from golem_task_api.wire.dirutils import RequestorTaskDir
from tutorial_app.handlers.requestor import RequestorHandler
from tutorial_app.store import store

from tests.robustness.load_common import put_result, read_input
from tests.robustness.support import InProcessApp, call, requestor_stub

Code = grpc.StatusCode


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[Path, object]]:
    work = tmp_path / "work"
    for name in ("main", "broken", "mojibake"):
        task_dir = RequestorTaskDir(work / name)
        task_dir.prepare()
        (task_dir.task_inputs_dir / "in.txt").write_text("whose fault?\n")
    # Tasks left by an earlier run, whose snapshot was damaged since.
    (work / "broken" / store.SNAPSHOT_NAME).write_bytes(b'{"format": 2, "se')
    (work / "mojibake" / store.SNAPSHOT_NAME).write_bytes(b'{"x": "\xff"}')
    running = InProcessApp(work, requestor=RequestorHandler())
    try:
        yield work, requestor_stub(running.channel)
    finally:
        running.stop()


def create(stub: object, task_id: str, **params: object) -> tuple[Code, object]:
    task_params = {"resources": ["in.txt"], "difficulty": 0, **params}
    request = pb.CreateTaskRequest(
        task_id=task_id, max_subtasks_count=2, task_params_json=json.dumps(task_params)
    )
    return call(stub.CreateTask, request)  # type: ignore[attr-defined]


def verify(stub: object, sid: str, task_id: str = "main") -> tuple[Code, object]:
    return call(stub.Verify, pb.VerifyRequest(task_id=task_id, subtask_id=sid))  # type: ignore[attr-defined]


def pending(stub: object, task_id: str) -> tuple[Code, object]:
    request = pb.HasPendingSubtasksRequest(task_id=task_id)
    return call(stub.HasPendingSubtasks, request)  # type: ignore[attr-defined]


def test_each_class_of_error_has_its_status(
    app: tuple[Path, object], caplog: pytest.LogCaptureFixture
) -> None:
    work, stub = app
    # INVALID_ARGUMENT: the node's bad arguments.
    assert create(stub, "main", difficulty=300)[0] is Code.INVALID_ARGUMENT
    assert verify(stub, "../escape")[0] is Code.INVALID_ARGUMENT
    assert create(stub, "main")[0] is Code.OK
    # NOT_FOUND: an unknown task or subtask.
    code, details = pending(stub, "no-such-task")
    assert code is Code.NOT_FOUND and "CreateTask" in str(details)
    assert verify(stub, "never-handed-out")[0] is Code.NOT_FOUND
    # FAILED_PRECONDITION: legal arguments, but not in this state.
    assert create(stub, "main")[0] is Code.FAILED_PRECONDITION
    request = pb.NextSubtaskRequest(task_id="main", subtask_id="a")
    assert call(stub.NextSubtask, request)[0] is Code.OK  # type: ignore[attr-defined]
    task_dir = RequestorTaskDir(work / "main")
    put_result(task_dir, "a", read_input(task_dir, "a"))
    assert verify(stub, "a")[0] is Code.OK
    code, details = verify(stub, "a")
    assert code is Code.FAILED_PRECONDITION and "it is done" in str(details)
    assert call(stub.NextSubtask, request)[0] is Code.FAILED_PRECONDITION  # type: ignore[attr-defined]
    # INTERNAL, with a traceback: damaged local state is never the node's fault.
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="golem_task_api.app.stack"):
        for task_id in ("broken", "mojibake"):
            code, details = pending(stub, task_id)
            assert code is Code.INTERNAL, (task_id, details)
    assert any(r.exc_info for r in caplog.records if r.levelno >= logging.ERROR)
    # The server keeps serving.
    assert pending(stub, "main") == (Code.OK, pb.HasPendingSubtasksReply(has_pending_subtasks=True))
