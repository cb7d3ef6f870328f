"""The task's events: typed, immutable, and their one-line JSON form in the journal.

Every change to a task is one of these; `tutorial_app.core.state` says which
are legal when, and applies them. The JSON names are those the journal has
always used, so journals written before the events were typed still replay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from golem_task_api.wire.errors import InternalError

from tutorial_app.search.pow import MAX_NONCE

_HASH = re.compile(r"[0-9a-f]{64}")


class DamagedState(InternalError):
    """The task's files on disk do not hold a state we could have written."""


@dataclass(frozen=True, slots=True)
class Assigned:
    subtask_id: str
    part: int
    node: str = ""


@dataclass(frozen=True, slots=True)
class VerifyStarted:
    subtask_id: str


@dataclass(frozen=True, slots=True)
class Verified:
    """Accepted, with the proof (so `task_outputs` is rebuilt from the state alone).

    Journals written before the proof was kept have Verified lines without it.
    """

    subtask_id: str
    reason: str | None = None
    nonce: int | None = None
    hash: str | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    subtask_id: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Discarded:
    subtask_id: str


@dataclass(frozen=True, slots=True)
class SubtaskAborted:
    subtask_id: str


@dataclass(frozen=True, slots=True)
class TaskAborted:
    pass


@dataclass(frozen=True, slots=True)
class VerifyInterrupted:
    subtask_id: str


Event = (
    Assigned
    | VerifyStarted
    | Verified
    | Rejected
    | Discarded
    | SubtaskAborted
    | TaskAborted
    | VerifyInterrupted
)

_NAMES: dict[type[Any], str] = {
    Assigned: "assigned",
    VerifyStarted: "verifying",
    Verified: "verified",
    Rejected: "rejected",
    Discarded: "discarded",
    SubtaskAborted: "subtask_aborted",
    TaskAborted: "task_aborted",
    VerifyInterrupted: "verify_interrupted",
}
_TYPES = {name: kind for kind, name in _NAMES.items()}
_FIELDS = {kind: tuple(item.name for item in fields(kind)) for kind in _NAMES}
_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "subtask_id": str,
    "part": int,
    "node": str,
    "reason": (str, type(None)),
    "nonce": (int, type(None)),
    "hash": (str, type(None)),
}


def to_json(event: Event, seq: int) -> dict[str, Any]:
    """The journal line's object for `event` numbered `seq`."""
    line: dict[str, Any] = {"type": _NAMES[type(event)]}
    for name in _FIELDS[type(event)]:  # not `asdict`: it deep-copies, 30x slower
        line[name] = getattr(event, name)
    line["seq"] = seq
    return line


def from_json(data: object) -> tuple[Event, int]:
    """An event and its sequence number from a journal line; DamagedState if malformed."""
    if not isinstance(data, dict):
        raise DamagedState(f"a journal line is not an object: {type(data).__name__}")
    kind = _TYPES.get(data.get("type"))  # type: ignore[arg-type]
    seq = data.get("seq")
    if kind is None or type(seq) is not int:
        raise DamagedState(f"a journal line has no known type and seq: {str(data)[:200]}")
    values: dict[str, Any] = {}
    for item in fields(kind):
        if item.name in data:
            value = data[item.name]
            if not isinstance(value, _FIELD_TYPES[item.name]) or isinstance(value, bool):
                raise DamagedState(f"journal event {seq}: bad {item.name!r}: {str(value)[:100]}")
            values[item.name] = value
    try:
        event = kind(**values)
    except TypeError as exc:  # a required field is missing
        raise DamagedState(f"journal event {seq} is incomplete: {exc}") from None
    if isinstance(event, Verified):
        check_proof_fields(event.nonce, event.hash, f"journal event {seq}")
    return event, seq


def check_proof_fields(nonce: object, hash_hex: object, where: str) -> None:
    """DamagedState unless both are absent, or a nonce in range and 64 lowercase hex digits."""
    if nonce is None and hash_hex is None:
        return
    valid_nonce = type(nonce) is int and 0 <= nonce <= MAX_NONCE
    if not valid_nonce or not isinstance(hash_hex, str) or not _HASH.fullmatch(hash_hex):
        raise DamagedState(f"{where}: a damaged proof: {str(nonce)[:30]} {str(hash_hex)[:70]}")
