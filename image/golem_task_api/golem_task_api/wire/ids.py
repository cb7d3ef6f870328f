"""Validation of task and subtask ids that arrive from the wire.

Ids become directory names (`<work>/<task_id>/`,
`subtask_outputs/<subtask_id>/`), so anything that could escape or confuse
a path is refused before a handler sees it. The one rule for ids and the
names made from them, for both sides: the app's server (`check_dir_id`), the
node's file moves (`plain_name_problem`), and apps that want ids portable to
any file system (`check_portable_id`, the tutorial app's rule).
"""

import re
from typing import Any

MAX_ID_LENGTH = 128
#: A directory name may be at most 255 bytes (NAME_MAX); 128 characters of
#: non-ASCII text can be more, which the file system would refuse.
MAX_DIR_NAME_BYTES = 255
#: A node id is opaque and never a path, but apps may store it per assignment.
MAX_NODE_ID_LENGTH = 1024
_FORBIDDEN_CHARS = ("/", "\\", "\0")
_FORBIDDEN_IDS = (".", "..")
#: Letters, digits, '.', '_' and '-', starting with a letter or digit: a name on any file system.
_PORTABLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def plain_name_problem(value: str) -> str | None:
    """Why `value` cannot be one plain name in a directory (no path), or None."""
    if not value:
        return "must not be empty"
    if value in _FORBIDDEN_IDS:
        return f"must not be {value!r}"
    for char in _FORBIDDEN_CHARS:
        if char in value:
            return f"must not contain {char!r}"
    return None


def check_id(kind: str, value: str) -> str:
    """Return `value` if it is a safe id; raise `ValueError` naming `kind` otherwise."""
    if value and len(value) > MAX_ID_LENGTH:
        raise ValueError(f"{kind} is longer than {MAX_ID_LENGTH} characters")
    problem = plain_name_problem(value)
    if problem is not None:
        raise ValueError(f"{kind} {problem}")
    return value


def check_portable_id(kind: str, value: Any) -> str:
    """A safe id of portable characters only (`_PORTABLE`), for apps that want it."""
    if not isinstance(value, str) or not _PORTABLE.fullmatch(value):
        raise ValueError(
            f"a {kind} must be 1-128 characters of letters, digits, '.', '_' or '-', "
            f"starting with a letter or digit, got {value!r}"
        )
    return value


def check_dir_id(kind: str, value: str) -> str:
    """`check_id`, and short enough in UTF-8 to be a directory name (ids that become one)."""
    check_id(kind, value)
    if len(value.encode("utf-8")) > MAX_DIR_NAME_BYTES:
        raise ValueError(f"{kind} is longer than {MAX_DIR_NAME_BYTES} bytes in UTF-8")
    return value


def check_ids(kind: str, values: list[str]) -> list[str]:
    return [check_dir_id(kind, value) for value in values]


def check_node_id(value: str) -> str:
    """The opaque node id: any text, but bounded, since apps may journal it."""
    if len(value) > MAX_NODE_ID_LENGTH:
        raise ValueError(f"opaque_node_id is longer than {MAX_NODE_ID_LENGTH} characters")
    return value
