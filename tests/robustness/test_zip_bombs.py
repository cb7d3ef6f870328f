"""Zip bombs in every method zipfile knows cost a bounded amount, on both roles.

A 903-byte result zip whose bzip2 member inflates to 1 GiB (claiming 85
bytes) made the requestor allocate 2 GiB and freeze its loop for seconds;
LZMA did the same to a provider. Peak memory is measured per process
(`bomb_probe` reads each bomb in a fresh child, the requestor's own
`VmHWM` is read from /proc), and the loop's health is judged by what it
does: health checks sent while the bomb is judged are all answered.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import grpc
import pytest
from golem_task_api.proto import golem_task_api_pb2 as pb
from golem_task_api.wire.dirutils import RequestorTaskDir
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.robustness.support import ProcessApp, call, requestor_stub
from tests.tutorial_app.bomb_probe import probe
from tests.tutorial_app.zip_forge import BZIP2, LZMA, MIB, bomb, bzip2_gib_bomb

#: Generous: the structure check reads headers only (well under 1 MiB); the
#: unbounded readers grew by 80 MiB to 2 GiB on these bombs.
MAX_GROWTH_MIB = 32
OK = grpc.StatusCode.OK


def bomb_for(method: int, name: str) -> bytes:
    if method == BZIP2:
        return bzip2_gib_bomb(name)
    return bomb(LZMA, 256 * MIB, name)  # ~38 KB: under the result zip's size cap


@pytest.mark.parametrize("method", [BZIP2, LZMA], ids=["bzip2", "lzma"])
@pytest.mark.parametrize("role", ["requestor", "provider"])
def test_a_bomb_is_refused_in_bounded_memory(tmp_path: Path, role: str, method: int) -> None:
    found = probe(role, bomb_for(method, "bomb.txt"), tmp_path)
    assert found.grew_mib < MAX_GROWTH_MIB, found
    assert "only stored and deflate are accepted" in found.outcome, found


def vm_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_a_requestor_judging_bombs_keeps_answering(tmp_path: Path) -> None:
    """Health checks sent while bombs are judged are answered within a generous
    deadline; the requestor's own peak memory barely moves."""
    work = tmp_path / "work"
    task_dir = RequestorTaskDir(work / "t")
    task_dir.prepare()
    (task_dir.task_inputs_dir / "in.txt").write_text("bombs\n")
    app = ProcessApp("requestor", work).wait_serving()
    try:
        stub = requestor_stub(app.channel)
        params = json.dumps({"resources": ["in.txt"], "difficulty": 0})
        code, reply = call(
            stub.CreateTask,
            pb.CreateTaskRequest(task_id="t", max_subtasks_count=4, task_params_json=params),
        )  # type: ignore[attr-defined]
        assert code is OK, reply
        sids = []
        for index, method in enumerate([BZIP2, LZMA, BZIP2, LZMA]):
            sid = f"s{index}"
            code, reply = call(stub.NextSubtask, pb.NextSubtaskRequest(task_id="t", subtask_id=sid))  # type: ignore[attr-defined]
            assert code is OK, reply
            out = task_dir.subtask_outputs_dir(sid)
            out.mkdir(parents=True)
            (out / f"{sid}.zip").write_bytes(bomb_for(method, "result.txt"))
            sids.append(sid)
        baseline = vm_hwm_mib(app.process.pid)
        health = health_pb2_grpc.HealthStub(app.channel)
        done = threading.Event()
        answers: list[str] = []

        def check_health() -> None:
            extra = 3  # a few more after the last Verify, so some are always sent
            while extra:
                try:
                    health.Check(health_pb2.HealthCheckRequest(service=""), timeout=1.0)
                    answers.append("ok")
                except grpc.RpcError as exc:
                    answers.append(str(exc.code()))
                if done.is_set():
                    extra -= 1

        checker = threading.Thread(target=check_health)
        checker.start()
        try:
            for sid in sids:
                code, reply = call(stub.Verify, pb.VerifyRequest(task_id="t", subtask_id=sid))  # type: ignore[attr-defined]
                assert code is OK, reply
                assert reply.result == pb.VerifyReply.FAILURE, reply
                assert "only stored and deflate" in reply.reason, reply
        finally:
            done.set()
            checker.join(30)
        assert answers and set(answers) == {"ok"}, answers
        assert vm_hwm_mib(app.process.pid) - baseline < MAX_GROWTH_MIB
    finally:
        errors = app.stop()
    assert "Traceback" not in errors, errors
