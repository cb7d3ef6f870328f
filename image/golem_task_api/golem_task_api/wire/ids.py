"""Validation of task and subtask ids that arrive from the wire.

Ids become directory names (`<work>/<task_id>/`,
`subtask_outputs/<subtask_id>/`), so anything that could escape or confuse
a path is refused before a handler sees it.
"""

MAX_ID_LENGTH = 128
#: A directory name may be at most 255 bytes (NAME_MAX); 128 characters of
#: non-ASCII text can be more, which the file system would refuse.
MAX_DIR_NAME_BYTES = 255
#: A node id is opaque and never a path, but apps may store it per assignment.
MAX_NODE_ID_LENGTH = 1024
_FORBIDDEN_CHARS = ("/", "\\", "\0")
_FORBIDDEN_IDS = (".", "..")


def check_id(kind: str, value: str) -> str:
    """Return `value` if it is a safe id; raise `ValueError` naming `kind` otherwise."""
    if not value:
        raise ValueError(f"{kind} must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"{kind} is longer than {MAX_ID_LENGTH} characters")
    if value in _FORBIDDEN_IDS:
        raise ValueError(f"{kind} must not be {value!r}")
    for char in _FORBIDDEN_CHARS:
        if char in value:
            raise ValueError(f"{kind} must not contain {char!r}")
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
