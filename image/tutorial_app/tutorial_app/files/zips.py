"""Reading untrusted zips within fixed bounds, and writing our own.

Zips cross the network both ways, and an accepted result reaches the user,
who may extract it with any tool. So a reader never extracts and never
hands a hostile file to `zipfile`: `tutorial_app.files.zipformat` checks the
whole structure first (one plain layout that every reader sees alike, a
safe member name, stored or deflate only), then the member's data is read
once from one open file and inflated incrementally with a hard cap on the
output, so whatever a header claims, a read costs memory and time in
proportion to the size limit, never to what the bytes would inflate to.
What we write is deterministic (fixed date and mode), so a published
result is a function of its proof alone.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
import zipfile
import zlib
from pathlib import Path

from golem_task_api.wire.durable import write_bytes as write_atomic

from tutorial_app.files import zipformat

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
#: Members whose headers are checked before the count is: enough for a precise reason.
MAX_MEMBERS = 16
#: Compressed bytes read per step when inflating.
READ_CHUNK = 256 * KIB
INPUT_MEMBER = "input.txt"
RESULT_MEMBER = "result.txt"
# The records of a one-member zip (APPNOTE 4.3.7, 4.3.12, 4.3.16), for
# `zip_bytes`: DOS date 33 is 1980-01-01 00:00, mode a regular 0644 file.
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_DOS_DATE = 33
_UTF8_NAME = 0x800
_MODE = (stat.S_IFREG | 0o644) << 16


def subtask_zip_name(subtask_id: str) -> str:
    """Every zip of a subtask is named after it: its input, the provider's result
    and the published copy of an accepted result."""
    return f"{subtask_id}.zip"


def read_named_member(path: Path, limit: int, what: str) -> tuple[str, bytes]:
    """The one member's name and bytes; ValueError says which check failed.

    The member may have any safe name (the original app names it after the
    subtask); it must be stored or deflated and at most `limit` bytes.
    """
    fd = _open_regular(path, what)
    try:
        size = os.fstat(fd).st_size
        if size > limit + ZIP_OVERHEAD_BYTES:
            raise ValueError(
                f"the {what} zip is {size} bytes; at most {limit + ZIP_OVERHEAD_BYTES}"
            )
        try:
            members = zipformat.read_members(fd, size, MAX_MEMBERS)
        except zipformat.ZipRefused as exc:
            raise ValueError(f"the {what} zip {exc}") from None
        if len(members) != 1:
            raise ValueError(
                f"the {what} zip must hold exactly one member, it holds {len(members)}"
            )
        member = members[0]
        if member.size > limit:
            raise ValueError(
                f"the {what} zip's member declares {member.size} bytes; at most {limit} are allowed"
            )
        data = _member_data(fd, member, what)
    except OSError as exc:
        raise ValueError(f"the {what} zip cannot be read: {exc.strerror}") from exc
    finally:
        os.close(fd)
    return member.name, data


def _open_regular(path: Path, what: str) -> int:
    """One descriptor for every read (nothing can swap the file in between);
    never follows a symlink, never blocks on a FIFO."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ValueError(f"the {what} zip {path.name} is missing") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # the node copies files: a link points somewhere else
            raise ValueError(
                f"the {what} zip {path.name} is a symlink, not a regular file"
            ) from None
        raise ValueError(f"the {what} zip {path.name} cannot be opened: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ValueError(f"the {what} zip {path.name} is not a regular file")
    return fd


def _member_data(fd: int, member: zipformat.Member, what: str) -> bytes:
    """The member's bytes, checked against its declared size and CRC."""
    if member.method == zipformat.STORED:
        data = os.pread(fd, member.compressed_size, member.data_offset)
    else:
        data = _inflate(fd, member, what)
    if len(data) != member.size:
        raise ValueError(
            f"the {what} zip's member holds {len(data)} bytes, not the {member.size} declared"
        )
    if zlib.crc32(data) != member.crc:
        raise ValueError(f"the {what} zip's member does not match its CRC-32")
    return data


def _inflate(fd: int, member: zipformat.Member, what: str) -> bytes:
    """Inflate step by step, never producing more than the declared size + 1 bytes."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pieces: list[bytes] = []
    produced, offset, left = 0, member.data_offset, member.compressed_size
    try:
        while left and not inflater.eof:
            chunk = os.pread(fd, min(READ_CHUNK, left), offset)
            if not chunk:
                break
            offset, left = offset + len(chunk), left - len(chunk)
            while chunk and not inflater.eof:
                piece = inflater.decompress(chunk, member.size - produced + 1)
                produced += len(piece)
                pieces.append(piece)
                if produced > member.size:
                    raise ValueError(
                        f"the {what} zip's member inflates past its declared {member.size} bytes"
                    )
                chunk = inflater.unconsumed_tail
    except zlib.error as exc:
        raise ValueError(f"the {what} zip's member has corrupt deflate data: {exc}") from None
    if not inflater.eof:
        raise ValueError(f"the {what} zip's member's deflate data is cut short")
    if left or inflater.unused_data:
        raise ValueError(f"the {what} zip's member has bytes after its deflate data")
    return b"".join(pieces)


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


def zip_bytes(member: str, text: str, *, compress: bool = True) -> bytes:
    """A one-member zip that depends on its arguments alone (fixed date and mode).

    Byte for byte what `zipfile` writes for this member (a test holds them
    equal), packed directly: the requestor writes one per NextSubtask and
    Verify, and `zipfile` took ~0.1 ms of the call for a few hundred bytes.
    """
    data = text.encode("utf-8")
    if compress:
        packer = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
        body, method = packer.compress(data) + packer.flush(), zipfile.ZIP_DEFLATED
    else:
        body, method = data, zipfile.ZIP_STORED
    try:
        name, flags = member.encode("ascii"), 0
    except UnicodeEncodeError:
        name, flags = member.encode("utf-8"), _UTF8_NAME
    crc, size, packed = zlib.crc32(data), len(data), len(body)
    local = _LOCAL.pack(
        b"PK\x03\x04", 20, 0, flags, method, 0, _DOS_DATE, crc, packed, size, len(name), 0
    )
    central = _CENTRAL.pack(
        b"PK\x01\x02", 20, 3, 20, 0, flags, method, 0, _DOS_DATE, crc, packed, size,
        len(name), 0, 0, 0, 0, _MODE, 0,
    )  # fmt: skip
    offset = len(local) + len(name) + packed
    end = _END.pack(b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(name), offset, 0)
    return b"".join((local, name, body, central, name, end))


def result_zip_bytes(line: str) -> bytes:
    """The result zip we write, from a proof's line: stored, under our member name."""
    return zip_bytes(RESULT_MEMBER, line, compress=False)


def write_new(path: Path, data: bytes) -> None:
    """Write a file under a name that should be new (not fsync'd: callers can rebuild it).

    One create and a write, no temporary name and rename: the caller replies
    only after this returns, and `repair` rebuilds what a crash cut short. A
    file already there is replaced atomically; a failed write leaves no file.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o644)
    except FileExistsError:
        write_atomic(path, data, durable=False)
        return
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:
        os.close(fd)
        os.unlink(path)
        raise
    os.close(fd)


def write_zip(path: Path, member: str, text: str, *, durable: bool = True) -> None:
    """Write a one-member zip atomically (a process crash leaves no half-written zip)."""
    write_atomic(path, zip_bytes(member, text), durable=durable)
