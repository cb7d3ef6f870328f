"""Our app and the original tutorial app accept each other's files and parameters.

The original (golemfactory/tutorialapp, `commands.py`) writes every zip
with `zipfile.ZipFile(path, 'w')` defaults (stored, the current date) and
`writestr(subtask_id, text)`: the member is named after the subtask id.
Its parts keep `difficulty` in a peewee FloatField, so subtask parameters
reach providers as `{"difficulty": 10.0, "resources": ["<sid>.zip"]}`
(JSON via the client), and its example task parameters hold
`"difficulty": "1"`. Its part input is the task text plus `str(uuid4())`;
its result line is f"{hash} {nonce}" without a newline. The helpers
below do exactly that; the definition checked against is `tutorial_app.search.pow`.
"""

from __future__ import annotations

import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from golem_task_api.wire.dirutils import ProviderTaskDir, RequestorTaskDir
from golem_task_api.wire.enums import VerifyResult
from tutorial_app.core import params
from tutorial_app.files import verdict, zips
from tutorial_app.handlers import commands, repair
from tutorial_app.handlers.provider import ProviderHandler
from tutorial_app.search import pow
from tutorial_app.store import store

from tests.tutorial_app.zip_forge import DEFLATED, build, entry, extra_field

DIFFICULTY = 6


def original_zip(path: Path, subtask_id: str, text: str) -> None:
    """How the original app writes an input zip and a result zip."""
    with zipfile.ZipFile(path, "w") as file:
        file.writestr(subtask_id, text)


def original_read_zip_contents(path: Path) -> str:
    """How the original app reads either zip."""
    with zipfile.ZipFile(path, "r") as file, file.open(file.namelist()[0]) as inner_file:
        return inner_file.read().decode("utf-8")


def original_subtask_params(difficulty: float, subtask_id: str) -> dict[str, Any]:
    """The original's NextSubtask params, through JSON as on the wire."""
    sent = {"difficulty": difficulty, "resources": [f"{subtask_id}.zip"]}
    parsed: dict[str, Any] = json.loads(json.dumps(sent))
    return parsed


async def assigned(tasks: store.TaskStore, task_dir: RequestorTaskDir, task_params: Any) -> str:
    """CreateTask with the original's parameters, then one NextSubtask (a uuid1 id,
    as the node picks); returns the part's input as our requestor published it."""
    await commands.create_task(tasks, task_dir, 2, task_params)
    subtask_id = str(uuid.uuid1())
    subtask = await commands.next_subtask(tasks, task_dir, subtask_id, "node")
    assert subtask is not None
    return subtask_id


def part_input(task_dir: RequestorTaskDir, subtask_id: str) -> str:
    path = task_dir.subtask_inputs_dir / zips.subtask_zip_name(subtask_id)
    return zips.read_text_member(path, zips.MAX_PART_INPUT_BYTES, "input")


@pytest.mark.parametrize("difficulty", ["6", 6.0, 6])
async def test_our_requestor_verifies_an_original_result(
    tasks: store.TaskStore, task_dir: RequestorTaskDir, difficulty: object
) -> None:
    sid = await assigned(tasks, task_dir, {"difficulty": difficulty, "resources": ["input.txt"]})
    # The original provider: read the input zip, search from nonce 0, zip the line.
    text = original_read_zip_contents(task_dir.subtask_inputs_dir / f"{sid}.zip")
    proof = pow.search(text, DIFFICULTY)
    assert proof is not None
    out = task_dir.subtask_outputs_dir(sid)
    out.mkdir(parents=True)
    original_zip(out / f"{sid}.zip", sid, f"{proof.hash_hex} {proof.nonce}")

    result, reason = await commands.verify(tasks, task_dir, sid)
    assert result is VerifyResult.SUCCESS, reason
    published = task_dir.task_outputs_dir / f"{sid}.zip"
    assert published.read_bytes() == verdict.published_bytes(proof)
    assert original_read_zip_contents(published) == proof.to_line()


async def test_our_requestor_rejects_an_original_shaped_wrong_result(
    tasks: store.TaskStore, task_dir: RequestorTaskDir
) -> None:
    """Accepting any member name relaxed nothing else: a wrong proof still fails."""
    sid = await assigned(tasks, task_dir, {"difficulty": 6.0, "resources": ["input.txt"]})
    out = task_dir.subtask_outputs_dir(sid)
    out.mkdir(parents=True)
    original_zip(out / f"{sid}.zip", sid, f"{pow.hash_hex('other', 0)} 0")
    result, reason = await commands.verify(tasks, task_dir, sid)
    assert result is VerifyResult.FAILURE
    assert "does not match" in reason
    assert list(task_dir.task_outputs_dir.iterdir()) == []


@pytest.mark.parametrize("difficulty", [6.0, 6, "6"])
async def test_our_provider_computes_an_original_subtask(
    tmp_path: Path, difficulty: object
) -> None:
    work = ProviderTaskDir(tmp_path / "provider")
    work.prepare()
    sid = str(uuid.uuid1())
    input_data = "Golem proof of work.\n" + str(uuid.uuid4())  # as the original's parts
    original_zip(work.subtask_inputs_dir / f"{sid}.zip", sid, input_data)
    sent = original_subtask_params(6.0, sid)
    sent["difficulty"] = difficulty if not isinstance(difficulty, float) else sent["difficulty"]

    result_path = await ProviderHandler().compute(work, sid, sent)

    # The original requestor's reading, then the reference definition.
    line = original_read_zip_contents(work / result_path)
    hash_text, nonce_text = line.rsplit(" ", maxsplit=1)
    nonce = int(nonce_text)
    assert hash_text == pow.hash_hex(input_data, nonce)
    assert pow.is_valid(input_data, DIFFICULTY, nonce)
    pow.check_proof(input_data, DIFFICULTY, pow.parse_result(line))
    assert result_path == Path(f"{sid}.zip")


async def test_a_hostile_but_valid_result_is_published_as_our_own_zip(
    tasks: store.TaskStore, task_dir: RequestorTaskDir
) -> None:
    """A provider's zip with a valid proof plus extras of its own (a timestamp
    field, its own member name, a trailing newline, deflate): what reaches
    task_outputs is our canonical zip, byte for byte, none of its bytes."""
    sid = await assigned(tasks, task_dir, {"difficulty": 6, "resources": ["input.txt"]})
    proof = pow.search(part_input(task_dir, sid), DIFFICULTY)
    assert proof is not None
    stamp = extra_field(0x5455, b"\x01" + (1_700_000_000).to_bytes(4, "little"))
    member = entry("payload.sh", (proof.to_line() + "\n").encode(), DEFLATED, extra=stamp)
    theirs = build([member])
    out = task_dir.subtask_outputs_dir(sid)
    out.mkdir(parents=True)
    (out / f"{sid}.zip").write_bytes(theirs)

    result, reason = await commands.verify(tasks, task_dir, sid)
    assert result is VerifyResult.SUCCESS, reason
    published = (task_dir.task_outputs_dir / f"{sid}.zip").read_bytes()
    assert published == verdict.published_bytes(proof)
    assert published != theirs and b"payload.sh" not in published
    with zipfile.ZipFile(task_dir.task_outputs_dir / f"{sid}.zip") as archive:
        [info] = archive.infolist()
        assert (info.filename, info.compress_type) == (zips.RESULT_MEMBER, zipfile.ZIP_STORED)
        assert archive.read(info).decode() == proof.to_line()


@pytest.mark.parametrize(
    ("value", "expected"),
    [(10, 10), (10.0, 10), ("10", 10), (" 7 ", 7), (0.0, 0), (256.0, 256), (-0.0, 0)],
)
def test_difficulty_may_be_integral_in_any_of_the_originals_types(
    value: object, expected: int
) -> None:
    assert params.parse_difficulty(value) == expected


@pytest.mark.parametrize(
    "value",
    [10.5, float("nan"), float("inf"), 1e300, 257.0, -1.0, "10.0", "ten", True, None, [10]],
)
def test_everything_else_about_difficulty_stays_strict(value: object) -> None:
    with pytest.raises(ValueError, match="'difficulty' must be"):
        params.parse_difficulty(value)


@pytest.mark.parametrize("name", ["../input.txt", "a/b", "", "x" * 300, "in\nput", ".."])
async def test_our_provider_refuses_an_unsafe_member_name(tmp_path: Path, name: str) -> None:
    work = ProviderTaskDir(tmp_path / "provider")
    work.prepare()
    with zipfile.ZipFile(work.subtask_inputs_dir / "s.zip", "w") as file:
        file.writestr(zipfile.ZipInfo(name), "hello")
    with pytest.raises(ValueError, match="the input zip"):
        await ProviderHandler().compute(work, "s", original_subtask_params(1.0, "s"))


@pytest.mark.parametrize("damage", ["provider's copy", "lost", "empty"])
async def test_repair_publishes_our_own_zip(
    tasks: store.TaskStore, task_dir: RequestorTaskDir, damage: str
) -> None:
    """After a restart, task_outputs holds our zip again: in place of a provider's
    copy (as an older version published), a lost file or an emptied one."""
    sid = await assigned(tasks, task_dir, {"difficulty": 6, "resources": ["input.txt"]})
    proof = pow.search(part_input(task_dir, sid), DIFFICULTY)
    assert proof is not None
    theirs = task_dir.subtask_outputs_dir(sid) / f"{sid}.zip"
    theirs.parent.mkdir(parents=True)
    original_zip(theirs, sid, proof.to_line())
    assert (await commands.verify(tasks, task_dir, sid))[0] is VerifyResult.SUCCESS
    published = task_dir.task_outputs_dir / f"{sid}.zip"
    if damage == "lost":
        published.unlink()
    else:
        published.write_bytes(theirs.read_bytes() if damage == "provider's copy" else b"")
    restarted = store.TaskStore(repair=repair.repair)
    assert await commands.has_pending_subtasks(restarted, task_dir) is True
    assert published.read_bytes() == verdict.published_bytes(proof)
