"""Reading untrusted zips and writing our own.

Zips cross the network both ways, so a reader never extracts: it checks
there is exactly one member, that its declared size is within the limit,
and reads at most limit + 1 bytes so a lying header cannot blow memory.
"""

from __future__ import annotations

import io
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
#: Room for headers, a name and a comment around a member.
ZIP_OVERHEAD_BYTES = 64 * KIB
INPUT_MEMBER = "input.txt"
RESULT_MEMBER = "result.txt"


def read_single_member(path: Path, limit: int, what: str) -> bytes:
    """The one member's bytes; ValueError says which check failed."""
    if not path.is_file():
        raise ValueError(f"the {what} zip {path.name} is missing")
    size = path.stat().st_size
    if size > limit + ZIP_OVERHEAD_BYTES:
        raise ValueError(f"the {what} zip is {size} bytes; at most {limit + ZIP_OVERHEAD_BYTES}")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) != 1:
                raise ValueError(
                    f"the {what} zip must hold exactly one member, it holds {len(members)}"
                )
            member = members[0]
            if member.file_size > limit:
                raise ValueError(
                    f"the {what} zip's member declares {member.file_size} bytes; "
                    f"at most {limit} are allowed"
                )
            with archive.open(member) as handle:
                data = handle.read(limit + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, RuntimeError) as exc:
        raise ValueError(f"the {what} zip is corrupt: {exc}") from exc
    except NotImplementedError as exc:  # an unsupported compression method
        raise ValueError(f"the {what} zip is corrupt: {exc}") from exc
    if len(data) > limit:
        raise ValueError(f"the {what} zip's member is larger than {limit} bytes")
    return data


def read_text_member(path: Path, limit: int, what: str) -> str:
    data = read_single_member(path, limit, what)
    try:
        return data.decode("utf-8")
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
