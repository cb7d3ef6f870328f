"""`task.json` and `task.input`: the task's snapshot, checked field by field on the way in.

Format 2 keeps the input text in its own file, `task.input`, as the raw
bytes the node gave (never JSON-escaped; its size and SHA-256 are in
`task.json`), and per part only its latest attempt. Format 1 (written before)
held the text inside `task.json` and every attempt ever made; it still
loads: the attempts are folded as format 2 would have, and the owner
rewrites it as format 2 on its first load.

Everything read here is our own file, so anything that does not fit is
`DamagedState` (INTERNAL), never the node's fault.
"""

from __future__ import annotations

import hashlib
from typing import Any

from tutorial_app.core.events import DamagedState, check_proof_fields
from tutorial_app.core.state import Part, PartStatus, Subtask, SubtaskStatus, TaskState
from tutorial_app.search.pow import Proof

FORMAT_VERSION = 2
INPUT_NAME = "task.input"


def input_meta(data: bytes) -> dict[str, Any]:
    """What the snapshot records of the input file holding `data` (blocking: hashes it)."""
    return {"name": INPUT_NAME, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def to_json(state: TaskState, meta: dict[str, Any]) -> dict[str, Any]:
    """The snapshot of `state`, whose input file `meta` describes."""
    return {
        "format": FORMAT_VERSION,
        "seq": state.seq,
        "difficulty": state.difficulty,
        "aborted": state.aborted,
        "input": meta,
        "parts": [
            {
                "salt": p.salt,
                "status": p.status.value,
                "subtask_id": p.subtask_id,
                "last": p.last,
                "earlier": p.earlier,
            }
            for p in state.parts
        ],
        "subtasks": {sid: _subtask_json(s) for sid, s in state.subtasks.items()},
    }


def _subtask_json(sub: Subtask) -> dict[str, Any]:
    entry = {"part": sub.part, "node": sub.node, "status": sub.status.value, "reason": sub.reason}
    if sub.proof is not None:  # an accepted one's (absent from snapshots written before)
        entry["nonce"], entry["hash"] = sub.proof.nonce, sub.proof.hash_hex
    return entry


def snapshot_format(data: object) -> tuple[dict[str, Any], int]:
    """The snapshot as an object, and its format; DamagedState if it is neither 1 nor 2."""
    if not isinstance(data, dict):
        raise DamagedState(f"the snapshot is a JSON {type(data).__name__}, not an object")
    version = data.get("format")
    if version not in (1, FORMAT_VERSION):
        raise DamagedState(f"unsupported task state format {str(version)[:40]!r}")
    return data, int(version)


def input_name(data: dict[str, Any]) -> str:
    """The input file a format 2 snapshot names (always ours: a plain name)."""
    entry = _field(data, "input", dict)
    name: str = _field(entry, "name", str)
    if name != INPUT_NAME:
        raise DamagedState(f"the snapshot names an unexpected input file {name[:100]!r}")
    return name


def from_json(data: object, text: bytes | None) -> TaskState:
    """The state in a snapshot; `text` is the content of its input file (format 2 only)."""
    try:
        return _from_json(data, text)
    except DamagedState:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise DamagedState(f"the snapshot is damaged: {type(exc).__name__}: {exc}") from None


def _from_json(raw: object, text: bytes | None) -> TaskState:
    data, version = snapshot_format(raw)
    raw_parts = _field(data, "parts", list)
    raw_subtasks = _field(data, "subtasks", dict)
    subtasks = {str(sid): _subtask(s, len(raw_parts)) for sid, s in raw_subtasks.items()}
    if version == 1:
        input_text = _field(data, "input_text", str)
        parts = [
            Part(_field(p, "salt", str), PartStatus(p["status"]), p["subtask_id"])
            for p in raw_parts
        ]
        subtasks = _fold(parts, subtasks)
    else:
        if text is None:
            raise DamagedState("the snapshot's input file is missing")
        _check_input(_field(data, "input", dict), text)
        input_text = text.decode("utf-8")
        parts = [_part(p) for p in raw_parts]
    state = TaskState(
        input_text=input_text,
        difficulty=_field(data, "difficulty", int),
        parts=parts,
        subtasks=subtasks,
        aborted=_field(data, "aborted", bool),
        seq=_field(data, "seq", int),
    )
    _check_links(state)
    return state


def _fold(parts: list[Part], subtasks: dict[str, Subtask]) -> dict[str, Subtask]:
    """Keep each part's latest attempt (format 1 kept every one, oldest first)."""
    latest: dict[int, str] = {}
    for sid, sub in subtasks.items():
        part = parts[sub.part]
        if part.last is not None:
            part.earlier += 1
        part.last = sid
        latest[sub.part] = sid
    return {sid: subtasks[sid] for sid in latest.values()}


def _check_input(entry: dict[str, Any], text: bytes) -> None:
    if len(text) != _field(entry, "bytes", int):
        raise DamagedState(f"the input file has {len(text)} bytes, not {entry['bytes']}")
    if hashlib.sha256(text).hexdigest() != _field(entry, "sha256", str):
        raise DamagedState("the input file does not match its SHA-256 in the snapshot")


def _part(raw: object) -> Part:
    if not isinstance(raw, dict):
        raise DamagedState(f"a part is a {type(raw).__name__}, not an object")
    holder, last = raw["subtask_id"], raw["last"]
    if not isinstance(holder, str | None) or not isinstance(last, str | None):
        raise DamagedState("a part's subtask ids are not strings")
    earlier = _field(raw, "earlier", int)
    if earlier < 0:
        raise DamagedState("a part has a negative attempt count")
    return Part(_field(raw, "salt", str), PartStatus(raw["status"]), holder, last, earlier)


def _subtask(raw: object, parts: int) -> Subtask:
    if not isinstance(raw, dict):
        raise DamagedState(f"a subtask is a {type(raw).__name__}, not an object")
    index = _field(raw, "part", int)
    if not 0 <= index < parts:
        raise DamagedState(f"a subtask names part {index} of {parts}")
    reason = raw["reason"]
    if not isinstance(reason, str | None):
        raise DamagedState("a subtask's reason is not a string")
    status = SubtaskStatus(raw["status"])
    nonce, hash_hex = raw.get("nonce"), raw.get("hash")
    check_proof_fields(nonce, hash_hex, "the snapshot")
    proof = None
    if status is SubtaskStatus.DONE and isinstance(hash_hex, str) and isinstance(nonce, int):
        proof = Proof(hash_hex, nonce)
    return Subtask(index, _field(raw, "node", str), status, reason, proof)


def _check_links(state: TaskState) -> None:
    for index, part in enumerate(state.parts):
        for sid in (part.subtask_id, part.last):
            if sid is not None and state.subtasks.get(sid, Subtask(-1, "")).part != index:
                raise DamagedState(f"part {index} names subtask {sid[:100]!r}, which is not its")


def _field(data: object, key: str, kind: type) -> Any:
    if not isinstance(data, dict):
        raise DamagedState(f"expected an object holding {key!r}, got {type(data).__name__}")
    value = data.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise DamagedState(f"the snapshot's {key!r} is not a {kind.__name__}")
    return value
