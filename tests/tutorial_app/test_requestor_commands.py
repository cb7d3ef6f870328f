"""Requestor use cases, and every bad input leaving the state on disk unchanged."""

from __future__ import annotations

import asyncio
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from golem_task_api.wire.dirutils import RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from golem_task_api.wire.errors import FailedPrecondition, InvalidArgument, NotFound
from tutorial_app import version
from tutorial_app.core import state
from tutorial_app.files import verdict, zips
from tutorial_app.handlers import commands, repair
from tutorial_app.search import pow
from tutorial_app.store import snapshot, store

from tests.tutorial_app.support import INPUT_TEXT, disk_fingerprint

PARAMS: dict[str, Any] = {"difficulty": 6, "resources": ["input.txt"], "subtasks_count": 3}


async def created(tasks: store.TaskStore, task_dir: RequestorTaskDir, **extra: Any) -> None:
    await commands.create_task(tasks, task_dir, 5, {**PARAMS, **extra})


def part_input(task_dir: RequestorTaskDir, subtask_id: str) -> str:
    path = task_dir.subtask_inputs_dir / f"{subtask_id}.zip"
    return zips.read_text_member(path, zips.MAX_INPUT_BYTES + 300, "input")


def deliver(task_dir: RequestorTaskDir, subtask_id: str, text: str) -> Path:
    """Play the node: put a provider's result where Verify looks for it."""
    out = task_dir.subtask_outputs_dir(subtask_id)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{subtask_id}.zip"
    path.write_bytes(zips.zip_bytes("result.txt", text))
    return path


def solve(task_dir: RequestorTaskDir, subtask_id: str, difficulty: int = 6) -> str:
    proof = pow.search(part_input(task_dir, subtask_id), difficulty)
    assert proof is not None
    return proof.to_line()


async def test_create_task_reply_and_state(
    tasks: store.TaskStore, task_dir: RequestorTaskDir
) -> None:
    task = await commands.create_task(tasks, task_dir, 5, {**PARAMS, "difficulty": "6"})
    assert task.env_id == "docker_cpu"
    assert task.prerequisites == {"image": version.IMAGE_NAME, "tag": version.IMAGE_TAG}
    assert task.inf_requirements.min_memory_mib >= commands.BASE_MEMORY_MIB
    saved = json.loads((task_dir / store.SNAPSHOT_NAME).read_text(encoding="utf-8"))
    assert saved["difficulty"] == 6 and len(saved["parts"]) == 3
    assert (task_dir / snapshot.INPUT_NAME).read_text(encoding="utf-8") == INPUT_TEXT
    assert len({p["salt"] for p in saved["parts"]}) == 3


async def test_subtasks_count_defaults_to_max(
    tasks: store.TaskStore, task_dir: RequestorTaskDir
) -> None:
    await commands.create_task(tasks, task_dir, 4, {"difficulty": 1, "resources": ["input.txt"]})
    assert len(json.loads((task_dir / store.SNAPSHOT_NAME).read_text())["parts"]) == 4


async def test_create_twice_is_an_error(tasks: store.TaskStore, task_dir: RequestorTaskDir) -> None:
    await created(tasks, task_dir)
    before = disk_fingerprint(task_dir)
    with pytest.raises(FailedPrecondition, match="already created"):
        await created(tasks, task_dir)
    with pytest.raises(FailedPrecondition, match="already created"):
        await commands.create_task(store.TaskStore(), task_dir, 5, PARAMS)
    assert disk_fingerprint(task_dir) == before


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"difficulty": 257}, "between 0 and 256, got 257"),
        ({"difficulty": -1}, "between 0 and 256, got -1"),
        ({"difficulty": "hard"}, "'difficulty' must be an integer"),
        ({"difficulty": 1.5}, "'difficulty' must be an integer"),
        ({"difficulty": True}, "'difficulty' must be an integer"),
        ({"resources": []}, "non-empty list of file names"),
        ({"resources": "input.txt"}, "non-empty list of file names"),
        ({"resources": ["../input.txt"]}, "plain file name"),
        ({"resources": ["/etc/passwd"]}, "plain file name"),
        ({"resources": [".."]}, "plain file name"),
        ({"resources": ["a\\b"]}, "plain file name"),
        ({"resources": [3]}, "non-empty string"),
        ({"resources": ["missing.txt"]}, "'missing.txt' is not a file in task_inputs"),
        ({"subtasks_count": 0}, "'subtasks_count' must be between 1 and 5, got 0"),
        ({"subtasks_count": 6}, "'subtasks_count' must be between 1 and 5, got 6"),
        ({"subtasks_count": "2"}, "'subtasks_count' must be an integer"),
        ({"colour": "red"}, r"unknown task parameters \['colour'\]"),
    ],
)
async def test_bad_task_params(
    tasks: store.TaskStore, task_dir: RequestorTaskDir, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await created(tasks, task_dir, **params)
    assert disk_fingerprint(task_dir) == {store.SNAPSHOT_NAME: "-", store.JOURNAL_NAME: "-"}


async def test_missing_and_bad_required_params(
    tasks: store.TaskStore, task_dir: RequestorTaskDir
) -> None:
    with pytest.raises(ValueError, match="need 'resources'"):
        await commands.create_task(tasks, task_dir, 2, {"difficulty": 1})
    with pytest.raises(ValueError, match="'difficulty' must be an integer"):
        await commands.create_task(tasks, task_dir, 2, {"resources": ["input.txt"]})
    with pytest.raises(ValueError, match="must be a JSON object"):
        await commands.create_task(tasks, task_dir, 2, [1])
    with pytest.raises(ValueError, match="'max_subtasks_count' must be between 1"):
        await commands.create_task(tasks, task_dir, 0, PARAMS)
    assert not (task_dir / store.SNAPSHOT_NAME).exists()


async def test_bad_input_files(
    tasks: store.TaskStore, task_dir: RequestorTaskDir, tmp_path: Path
) -> None:
    inputs = task_dir.task_inputs_dir
    (inputs / "latin1.txt").write_bytes("zażółć".encode("latin-1", errors="replace") + b"\xff")
    with pytest.raises(ValueError, match="must be UTF-8 text"):
        await created(tasks, task_dir, resources=["latin1.txt"])
    (tmp_path / "secret.txt").write_text("outside")
    os.symlink(tmp_path / "secret.txt", inputs / "link.txt")
    with pytest.raises(ValueError, match="must stay inside task_inputs"):
        await created(tasks, task_dir, resources=["link.txt"])
    (inputs / "dir").mkdir()
    with pytest.raises(ValueError, match="'dir' is not a file"):
        await created(tasks, task_dir, resources=["dir"])
    with (inputs / "big.txt").open("wb") as handle:
        handle.truncate(zips.MAX_INPUT_BYTES + 1)
    with pytest.raises(ValueError, match="at most 16777216 allowed"):
        await created(tasks, task_dir, resources=["big.txt"])
    assert not (task_dir / store.SNAPSHOT_NAME).exists()


async def test_full_task(tasks: store.TaskStore, task_dir: RequestorTaskDir) -> None:
    await created(tasks, task_dir)
    inputs = set()
    for n in range(3):
        sid = f"sub-{n}"
        subtask = await commands.next_subtask(tasks, task_dir, sid, "node-1")
        assert subtask is not None
        assert subtask.params == {"difficulty": 6, "resources": [f"{sid}.zip"]}
        assert subtask.resources == [f"{sid}.zip"]
        data = part_input(task_dir, sid)
        assert data.startswith(INPUT_TEXT) and data != INPUT_TEXT
        inputs.add(data)
    assert len(inputs) == 3
    assert await commands.next_subtask(tasks, task_dir, "sub-9", "node-1") is None
    assert await commands.has_pending_subtasks(tasks, task_dir) is False
    for n in range(3):
        sid = f"sub-{n}"
        deliver(task_dir, sid, solve(task_dir, sid))
        result, reason = await commands.verify(tasks, task_dir, sid)
        assert result is VerifyResult.SUCCESS, reason
    assert sorted(p.name for p in task_dir.task_outputs_dir.iterdir()) == [
        "sub-0.zip",
        "sub-1.zip",
        "sub-2.zip",
    ]
    loaded, _ = store.read_task(task_dir)
    assert loaded is not None and loaded.is_finished()


async def test_next_subtask_reused_id_and_bad_id(
    tasks: store.TaskStore, task_dir: RequestorTaskDir
) -> None:
    await created(tasks, task_dir)
    await commands.next_subtask(tasks, task_dir, "a", "n")
    before = disk_fingerprint(task_dir)
    with pytest.raises(FailedPrecondition, match="'a' was already used"):
        await commands.next_subtask(tasks, task_dir, "a", "n")
    with pytest.raises(ValueError, match="a subtask id must be"):
        await commands.next_subtask(tasks, task_dir, "../evil", "n")
    assert disk_fingerprint(task_dir) == before


async def test_commands_before_create(tasks: store.TaskStore, task_dir: RequestorTaskDir) -> None:
    with pytest.raises(NotFound, match="call CreateTask first"):
        await commands.next_subtask(tasks, task_dir, "a", "n")
    with pytest.raises(NotFound, match="call CreateTask first"):
        await commands.has_pending_subtasks(tasks, task_dir)


def other_member_zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def lying_size_zip(path: Path, text: str) -> None:
    """A zip whose header declares a small member that is really large."""
    other_member_zip(path, {"result.txt": text.encode()})
    data = bytearray(path.read_bytes())
    size = len(text).to_bytes(4, "little")
    small = (10).to_bytes(4, "little")
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = small
    local = data.find(b"PK\x03\x04")
    data[local + 22 : local + 26] = small
    assert size != small
    path.write_bytes(bytes(data))


BAD_RESULTS = [
    (
        "wrong hash",
        lambda p, line: p.write_bytes(zips.zip_bytes("r", "0" * 64 + " 1")),
        "does not match",
    ),
    ("too easy", None, "too easy for difficulty"),
    ("missing", lambda p, line: p.unlink(), "is missing"),
    ("corrupt", lambda p, line: p.write_bytes(b"PK\x03\x04 not a zip"), "too short"),
    (
        "two members",
        lambda p, line: other_member_zip(p, {"a": b"1", "b": b"2"}),
        "exactly one member, it holds 2",
    ),
    ("empty zip", lambda p, line: other_member_zip(p, {}), "holds no members"),
    (
        "declared big",
        lambda p, line: other_member_zip(p, {"r": b"x" * 2000}),
        "declares 2000 bytes; at most 1024",
    ),
    ("lying size", lambda p, line: lying_size_zip(p, "y" * 5000), "but declares 10"),
    ("garbage", lambda p, line: p.write_bytes(zips.zip_bytes("r", "hello")), "must be one line"),
    ("not utf8", lambda p, line: other_member_zip(p, {"r": b"\xff\xfe"}), "not valid UTF-8"),
    ("upper hex", lambda p, line: p.write_bytes(zips.zip_bytes("r", line.upper())), "lowercase"),
]


@pytest.mark.parametrize(("case", "damage", "reason"), BAD_RESULTS, ids=[c[0] for c in BAD_RESULTS])
async def test_bad_results_fail_and_part_is_pending_again(
    tasks: store.TaskStore, task_dir: RequestorTaskDir, case: str, damage: Any, reason: str
) -> None:
    await created(tasks, task_dir, subtasks_count=1)
    await commands.next_subtask(tasks, task_dir, "a", "n")
    if damage is None:  # a hash valid for the input but too easy
        proof = pow.search(part_input(task_dir, "a"), 0)
        assert proof is not None
        nonce = next(n for n in range(1000) if not pow.is_valid(part_input(task_dir, "a"), 6, n))
        line = pow.Proof(pow.hash_hex(part_input(task_dir, "a"), nonce), nonce).to_line()
        deliver(task_dir, "a", line)
    else:
        line = solve(task_dir, "a")
        damage(deliver(task_dir, "a", line), line)
    result, why = await commands.verify(tasks, task_dir, "a")
    assert result is VerifyResult.FAILURE
    assert reason in why
    assert await commands.has_pending_subtasks(tasks, task_dir) is True
    assert list(task_dir.task_outputs_dir.iterdir()) == []
    loaded, _ = store.read_task(task_dir)
    assert loaded is not None and loaded.subtasks["a"].status is state.SubtaskStatus.FAILED


async def test_result_of_another_part_fails(
    tasks: store.TaskStore, task_dir: RequestorTaskDir
) -> None:
    await created(tasks, task_dir, subtasks_count=2, difficulty=8)
    await commands.next_subtask(tasks, task_dir, "a", "n")
    await commands.next_subtask(tasks, task_dir, "b", "n")
    deliver(task_dir, "b", solve(task_dir, "a", 8))
    result, why = await commands.verify(tasks, task_dir, "b")
    assert result is VerifyResult.FAILURE and "does not match" in why


async def test_verify_unknown_or_not_in_progress(
    tasks: store.TaskStore, task_dir: RequestorTaskDir
) -> None:
    await created(tasks, task_dir)
    await commands.next_subtask(tasks, task_dir, "a", "n")
    deliver(task_dir, "a", solve(task_dir, "a"))
    await commands.verify(tasks, task_dir, "a")
    before = disk_fingerprint(task_dir)
    with pytest.raises(NotFound, match="unknown subtask 'zz'"):
        await commands.verify(tasks, task_dir, "zz")
    with pytest.raises(FailedPrecondition, match="it is done, not in_progress"):
        await commands.verify(tasks, task_dir, "a")
    assert disk_fingerprint(task_dir) == before


async def test_discard(tasks: store.TaskStore, task_dir: RequestorTaskDir) -> None:
    await created(tasks, task_dir, subtasks_count=2)
    for sid in ("a", "b"):
        await commands.next_subtask(tasks, task_dir, sid, "n")
        deliver(task_dir, sid, solve(task_dir, sid))
        await commands.verify(tasks, task_dir, sid)
    got = await commands.discard_subtasks(tasks, task_dir, ["nope", "b", "a", "b"])
    assert got == ["b", "a"]
    assert list(task_dir.task_outputs_dir.iterdir()) == []
    assert await commands.has_pending_subtasks(tasks, task_dir) is True
    assert await commands.discard_subtasks(tasks, task_dir, ["a"]) == []


async def test_abort_subtask_and_task(tasks: store.TaskStore, task_dir: RequestorTaskDir) -> None:
    await created(tasks, task_dir)
    await commands.next_subtask(tasks, task_dir, "a", "n")
    await commands.next_subtask(tasks, task_dir, "b", "n")
    deliver(task_dir, "b", solve(task_dir, "b"))
    await commands.verify(tasks, task_dir, "b")
    await commands.abort_subtask(tasks, task_dir, "a")
    before = disk_fingerprint(task_dir)
    with pytest.raises(FailedPrecondition, match="cannot abort subtask 'a'"):
        await commands.abort_subtask(tasks, task_dir, "a")
    with pytest.raises(NotFound, match="unknown subtask 'q'"):
        await commands.abort_subtask(tasks, task_dir, "q")
    assert disk_fingerprint(task_dir) == before
    await commands.next_subtask(tasks, task_dir, "c", "n")
    await commands.abort_task(tasks, task_dir)
    assert await commands.has_pending_subtasks(tasks, task_dir) is False
    assert await commands.next_subtask(tasks, task_dir, "d", "n") is None
    with pytest.raises(FailedPrecondition, match="cannot verify"):
        await commands.verify(tasks, task_dir, "c")
    assert [p.name for p in task_dir.task_outputs_dir.iterdir()] == ["b.zip"]


async def test_restart_rewrites_damaged_input_and_resumes_verification(
    tasks: store.TaskStore, task_dir: RequestorTaskDir
) -> None:
    await created(tasks, task_dir)
    await commands.next_subtask(tasks, task_dir, "a", "n")
    expected = part_input(task_dir, "a")
    zip_path = task_dir.subtask_inputs_dir / "a.zip"
    zip_path.write_bytes(zip_path.read_bytes()[:20])  # half-written
    with (task_dir / store.JOURNAL_NAME).open("a") as handle:  # crashed mid-verify
        handle.write(json.dumps({"type": "verifying", "subtask_id": "a", "seq": 2}) + "\n")
    restarted = store.TaskStore(repair=repair.repair)
    assert await commands.has_pending_subtasks(restarted, task_dir) is True
    assert part_input(task_dir, "a") == expected
    deliver(task_dir, "a", solve(task_dir, "a"))
    result, _ = await commands.verify(restarted, task_dir, "a")
    assert result is VerifyResult.SUCCESS


async def test_restart_makes_task_outputs_match_accepted_results(
    tasks: store.TaskStore, task_dir: RequestorTaskDir
) -> None:
    await created(tasks, task_dir)
    for sid in ("a", "b"):
        await commands.next_subtask(tasks, task_dir, sid, "n")
        deliver(task_dir, sid, solve(task_dir, sid))
    await commands.verify(tasks, task_dir, "a")
    (task_dir.task_outputs_dir / "a.zip").write_bytes(b"")  # lost in a machine crash
    (task_dir.task_outputs_dir / "b.zip").write_bytes(b"stray")  # copied, never journaled
    restarted = store.TaskStore(repair=repair.repair)
    assert await commands.has_pending_subtasks(restarted, task_dir) is True
    assert [p.name for p in task_dir.task_outputs_dir.iterdir()] == ["a.zip"]
    source = task_dir.subtask_outputs_dir("a") / "a.zip"
    proof = pow.parse_result(zips.read_text_member(source, zips.MAX_RESULT_BYTES, "result"))
    assert (task_dir.task_outputs_dir / "a.zip").read_bytes() == verdict.published_bytes(proof)
    result, _ = await commands.verify(restarted, task_dir, "b")
    assert result is VerifyResult.SUCCESS


async def test_concurrent_next_subtasks_get_distinct_parts(
    tasks: store.TaskStore, task_dir: RequestorTaskDir
) -> None:
    await commands.create_task(tasks, task_dir, 20, {"difficulty": 1, "resources": ["input.txt"]})
    replies = await asyncio.gather(
        *(commands.next_subtask(tasks, task_dir, f"s{n}", "n") for n in range(25))
    )
    assert sum(reply is not None for reply in replies) == 20
    loaded, _ = store.read_task(task_dir)
    assert loaded is not None
    assert len({sub.part for sub in loaded.subtasks.values()}) == 20


async def test_every_reply_finds_its_files_though_a_compaction_falls_among_the_calls(
    task_dir: RequestorTaskDir,
) -> None:
    """The fsync thread writes a reply's files; a compaction (which marks everything
    durable at once) must not let a reply out before its files exist."""
    tasks = store.TaskStore(min_compact_events=1, repair=repair.repair)
    await commands.create_task(tasks, task_dir, 6, {"difficulty": 1, "resources": ["input.txt"]})
    seen: list[str] = []

    async def assign_then_look(sid: str) -> None:
        reply = await commands.next_subtask(tasks, task_dir, sid, "n")
        assert reply is not None
        seen.append(part_input(task_dir, sid))  # at once: no await between reply and look

    async def verify_then_look(sid: str) -> None:
        deliver(task_dir, sid, solve(task_dir, sid, 1))
        result, reason = await commands.verify(tasks, task_dir, sid)
        assert result is VerifyResult.SUCCESS, reason
        assert (task_dir.task_outputs_dir / f"{sid}.zip").is_file()

    await asyncio.gather(*(assign_then_look(f"s{n}") for n in range(6)))
    await asyncio.gather(*(verify_then_look(f"s{n}") for n in range(6)))
    loaded, _ = store.read_task(task_dir)
    assert loaded is not None and not (task_dir / store.JOURNAL_NAME).read_bytes()
    assert sorted(seen) == sorted(loaded.part_input(part) for part in range(6))


async def test_unreadable_input_is_a_bad_argument(
    tasks: store.TaskStore, task_dir: RequestorTaskDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    (task_dir.task_inputs_dir / "locked.txt").write_text("text")
    real_open = Path.open

    def refusing_open(path: Path, *args: Any, **kwargs: Any) -> Any:
        if path.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing_open)
    with pytest.raises(ValueError, match=r"cannot read the input 'locked\.txt': Permission denied"):
        await created(tasks, task_dir, resources=["locked.txt"])
    assert not (task_dir / store.SNAPSHOT_NAME).exists()


def test_input_is_decoded_in_slices_without_losing_a_character() -> None:
    text = "a" * (commands.DECODE_SLICE - 1) + "\u2603" + "b"  # the snowman straddles a cut
    assert commands._decode(text.encode(), "in.txt") == text
    bad = b"a" * (commands.DECODE_SLICE + 5) + b"\xff"
    with pytest.raises(InvalidArgument, match=f"at byte {commands.DECODE_SLICE + 5}"):
        commands._decode(bad, "in.txt")
