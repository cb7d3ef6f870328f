"""Reading untrusted zips and writing our own.

Zips cross the network both ways, so a reader never extracts: it checks
there is exactly one member, a regular file (not a directory or a symlink
entry) under the expected name, that its declared size is within the
limit, and reads at most limit + 1 bytes so a lying header cannot blow
memory. Accepted results are handed to the user, who may extract them with
any tool, so a member named `../x` or a symlink entry must never pass.
"""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

from tutorial_app.store import write_atomic

KIB = 1024
MIB = 1024 * KIB
#: A result line is ~85 bytes; anything above this is not a result.
MAX_RESULT_BYTES = 1 * KIB
#: The input text limit; a part's input adds a short salt.
MAX_INPUT_BYTES = 16 * MIB
MAX_SALT_BYTES = 256
#: The most a part's input (the text plus its salt) may hold.
MAX_PART_INPUT_BYTES = MAX_INPUT_BYTES + MAX_SALT_BYTES
#: Room for headers, a name and a comment around a member.
ZIP_OVERHEAD_BYTES = 64 * KIB
INPUT_MEMBER = "input.txt"
RESULT_MEMBER = "result.txt"


def subtask_zip_name(subtask_id: str) -> str:
    """Every zip of a subtask is named after it: its input, the provider's result
    and the published copy of an accepted result."""
    return f"{subtask_id}.zip"


def read_named_member(path: Path, limit: int, what: str) -> tuple[str, bytes]:
    """The one member's name and bytes; ValueError says which check failed."""
    if path.is_symlink():  # the node copies files: a link here points somewhere else
        raise ValueError(f"the {what} zip {path.name} is a symlink, not a regular file")
    if not path.exists():
        raise ValueError(f"the {what} zip {path.name} is missing")
    if not path.is_file():
        raise ValueError(f"the {what} zip {path.name} is not a regular file")
    size = path.stat().st_size
    if size > limit + ZIP_OVERHEAD_BYTES:
        raise ValueError(f"the {what} zip is {size} bytes; at most {limit + ZIP_OVERHEAD_BYTES}")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) != 1:
                raise _Refused(
                    f"the {what} zip must hold exactly one member, it holds {len(members)}"
                )
            info = members[0]
            _check_regular(info, what)
            if info.file_size > limit:
                raise _Refused(
                    f"the {what} zip's member declares {info.file_size} bytes; "
                    f"at most {limit} are allowed"
                )
            with archive.open(info) as handle:
                data = handle.read(limit + 1)
    except _Refused:
        raise
    except Exception as exc:
        # zipfile trusts its input: hostile bytes make it raise almost anything
        # (BadZipFile, zlib.error, NotImplementedError, even IndexError on an
        # empty member name). Whatever it is, the zip is unusable.
        raise ValueError(f"the {what} zip is corrupt: {exc or type(exc).__name__}") from exc
    if len(data) > limit:
        raise ValueError(f"the {what} zip's member is larger than {limit} bytes")
    return info.filename, data


class _Refused(ValueError):
    """A check of ours failed (as opposed to the zip library failing)."""


def _check_regular(info: zipfile.ZipInfo, what: str) -> None:
    mode = info.external_attr >> 16
    if not info.filename:
        raise _Refused(f"the {what} zip's member has no name")
    if info.is_dir() or stat.S_ISDIR(mode):
        raise _Refused(f"the {what} zip's member is a directory, not a file")
    if stat.S_ISLNK(mode):
        raise _Refused(f"the {what} zip's member is a symlink, not a file")


def check_member_name(name: str, expected: str, what: str) -> None:
    """Our zips hold one member under a fixed name; anything else (`../x`) is refused."""
    if name != expected:
        raise ValueError(f"the {what} zip's member must be named {expected!r}, not {name[:80]!r}")


def read_text_member(path: Path, limit: int, what: str) -> str:
    return read_named_text_member(path, limit, what)[1]


def read_named_text_member(path: Path, limit: int, what: str) -> tuple[str, str]:
    """The one member's name and UTF-8 text; ValueError says which check failed."""
    name, data = read_named_member(path, limit, what)
    try:
        return name, data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"the {what} is not valid UTF-8: {exc.reason} at byte {exc.start}"
        ) from exc


def zip_bytes(member: str, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, text.encode("utf-8"))
    return buffer.getvalue()


def write_zip(path: Path, member: str, text: str, *, durable: bool = True) -> None:
    """Write a one-member zip atomically (a process crash leaves no half-written zip)."""
    write_atomic(path, zip_bytes(member, text), durable=durable)
