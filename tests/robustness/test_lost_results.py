"""An acknowledged result survives the loss of every file but the task's state.

Neither the published copy in `task_outputs` nor the node's copy in
`subtask_outputs` is fsync'd, so a power loss may leave both empty or gone.
The accepted proof is journaled with its verdict, before the reply, so a
restart rebuilds the published zip from the state alone, byte for byte.
States written before the proof was kept still load and restore as before.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from golem_task_api.wire.dirutils import RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from tutorial_app.core import events
from tutorial_app.files import verdict
from tutorial_app.handlers import commands, repair
from tutorial_app.store import store

from tests.robustness.load_common import (
    INPUT_TEXT,
    RequestorProcess,
    put_result,
    read_input,
    result_line,
)

pytestmark = pytest.mark.timeout(60)

#: What happens to an accepted result's two copies while the app is down.
LOSSES = ("deleted", "emptied", "cut short")


def lose(path: Path, how: str) -> None:
    if how == "deleted":
        path.unlink()
    elif how == "emptied":
        path.write_bytes(b"")  # what ext4 leaves of unsynced data after a power loss
    else:
        path.write_bytes(path.read_bytes()[:30])


def both_copies(task_dir: RequestorTaskDir, sid: str) -> tuple[Path, Path]:
    name = f"{sid}.zip"
    return task_dir.task_outputs_dir / name, task_dir.subtask_outputs_dir(sid) / name


async def test_acknowledged_results_come_back_after_a_kill_and_lost_files(
    tmp_path: Path,
) -> None:
    """Over the wire: SUCCESS acknowledged, app SIGKILLed, both copies of every result
    lost (deleted, emptied, cut short), app restarted: the same bytes, a valid proof."""
    requestor = RequestorProcess(tmp_path / "work")
    published: dict[str, bytes] = {}
    try:
        [client] = await requestor.start()
        inputs = await requestor.create_task("t", 6)
        task_dir = requestor.task_dir("t")
        for n in range(6):
            sid = f"s{n}"
            assert await client.next_subtask("t", sid, "node") is not None
            put_result(task_dir, sid, read_input(task_dir, sid))
            result, _ = await client.verify("t", sid)
            assert result is VerifyResult.SUCCESS
            published[sid] = both_copies(task_dir, sid)[0].read_bytes()
        await requestor.kill()
        await requestor.close_clients()
        for n, sid in enumerate(published):
            for path in both_copies(task_dir, sid):
                lose(path, LOSSES[n % len(LOSSES)])
        [client] = await requestor.start()
        assert await client.has_pending_subtasks("t") is False  # loads, so repairs
        await requestor.stop()
    finally:
        await requestor.kill()
        await requestor.close_clients()
    for sid, expected in published.items():
        assert both_copies(task_dir, sid)[0].read_bytes() == expected
        with zipfile.ZipFile(both_copies(task_dir, sid)[0]) as archive:  # an independent reader
            line = archive.read("result.txt").decode()
        assert line == result_line(inputs[int(sid[1:])])


@pytest.mark.parametrize("compacted", [False, True], ids=["journal", "snapshot"])
async def test_the_proof_is_kept_in_the_journal_and_in_the_snapshot(
    tmp_path: Path, compacted: bool
) -> None:
    task_dir = RequestorTaskDir(tmp_path / "t")
    task_dir.prepare()
    (task_dir.task_inputs_dir / "input.txt").write_text(INPUT_TEXT, encoding="utf-8")
    tasks = store.TaskStore(min_compact_events=1 if compacted else 1000, repair=repair.repair)
    task_params = {"difficulty": 0, "resources": ["input.txt"], "subtasks_count": 2}
    await commands.create_task(tasks, task_dir, 2, task_params)
    await commands.next_subtask(tasks, task_dir, "a", "node")
    put_result(task_dir, "a", read_input(task_dir, "a"))
    assert (await commands.verify(tasks, task_dir, "a"))[0] is VerifyResult.SUCCESS
    expected = both_copies(task_dir, "a")[0].read_bytes()
    journal = (task_dir / store.JOURNAL_NAME).read_text()
    assert ('"nonce": 0' in journal) is not compacted
    for path in both_copies(task_dir, "a"):
        path.unlink()
    restarted = store.TaskStore(repair=repair.repair)
    assert await commands.has_pending_subtasks(restarted, task_dir) is True
    assert both_copies(task_dir, "a")[0].read_bytes() == expected


async def test_a_state_written_before_proofs_were_kept_restores_from_the_node_copy(
    tmp_path: Path,
) -> None:
    """A Verified line of the old shape (no nonce, no hash) loads; the published copy is
    rebuilt from the provider's file, as it was before."""
    task_dir = RequestorTaskDir(tmp_path / "t")
    task_dir.prepare()
    (task_dir.task_inputs_dir / "input.txt").write_text(INPUT_TEXT, encoding="utf-8")
    tasks = store.TaskStore(repair=repair.repair)
    task_params = {"difficulty": 0, "resources": ["input.txt"], "subtasks_count": 2}
    await commands.create_task(tasks, task_dir, 2, task_params)
    await commands.next_subtask(tasks, task_dir, "a", "node")
    put_result(task_dir, "a", read_input(task_dir, "a"))
    await commands.verify(tasks, task_dir, "a")
    expected = both_copies(task_dir, "a")[0].read_bytes()
    path = task_dir / store.JOURNAL_NAME
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    for line in lines:
        line.pop("nonce", None), line.pop("hash", None)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    both_copies(task_dir, "a")[0].unlink()
    restarted = store.TaskStore(repair=repair.repair)
    async with restarted.session(task_dir) as session:
        assert session.require().subtasks["a"].proof is None
    assert both_copies(task_dir, "a")[0].read_bytes() == expected
    assert expected == verdict.published_bytes(verdict.pow.parse_result(result_line(
        read_input(task_dir, "a"))))  # fmt: skip


@pytest.mark.parametrize(
    ("nonce", "hash_hex"),
    [(-1, "0" * 64), (2**64, "0" * 64), (0, "A" * 64), (0, "0" * 63), (None, "0" * 64), (0, None)],
)
def test_a_damaged_proof_in_the_journal_is_damaged_state(nonce: object, hash_hex: object) -> None:
    line = {"type": "verified", "subtask_id": "a", "reason": "r", "seq": 3}
    line.update({"nonce": nonce, "hash": hash_hex})
    with pytest.raises(events.DamagedState, match="proof"):
        events.from_json(line)
