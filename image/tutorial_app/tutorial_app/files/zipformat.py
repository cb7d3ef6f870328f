"""A zip's structure, checked strictly before a byte of it is decompressed.

`zipfile` reads the central directory and trusts it; `unzip` honours
extra fields that rename a member; a streaming extractor walks the local
headers and never sees the central directory. A zip that one of them reads
differently from another could pass our checks and unpack as something
else on the user's machine, so only the plainest layout is accepted, the
one `zipfile` and Info-ZIP write to a file: local entries back to back from
byte 0, each followed by its data, then a central directory that lists
every one of them with the same name, method, flags, CRC and sizes, then
the end record and nothing after it. No zip64, no encryption, no data
descriptors, no comments, no extra fields beyond a few timestamp and owner
fields, and members named with safe plain file names. `zipfile` exposes
none of these checks, hence this parser (APPNOTE.TXT, sections 4.3-4.5).
"""

from __future__ import annotations

import os
import stat
import struct
import unicodedata
from dataclasses import dataclass

STORED, DEFLATED = 0, 8
_METHOD_NAMES = {1: "shrink", 6: "implode", 9: "deflate64", 12: "bzip2", 14: "LZMA", 93: "zstd"}
_METHOD_NAMES.update({95: "xz", 98: "PPMd", 99: "AES encryption"})
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_END = struct.Struct("<4sHHHHIIH")
_LOCAL_SIG, _CENTRAL_SIG, _END_SIG = b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"
_ZIP64_LOCATOR_SIG = b"PK\x06\x07"
_UTF8_NAME = 0x0800
_DEFLATE_LEVEL_BITS = 0x0006  # informational: which deflate level wrote it
#: Extra fields that name no file and hold no content: timestamps and owners.
_HARMLESS_EXTRAS = {0x000A: "NTFS times", 0x5455: "timestamps", 0x5855: "Unix", 0x7875: "owner"}
_EXTRA_NAMES = {0x0001: "zip64", 0x7075: "Info-ZIP Unicode Path", 0x6375: "Unicode Comment"}
_EXTRA_NAMES.update({0x0017: "strong encryption", 0x9901: "AES encryption"})
_FLAG_NAMES = {0x0001: "is encrypted", 0x0008: "uses a data descriptor"}
_FLAG_NAMES.update({0x0040: "uses strong encryption", 0x2000: "masks its local header"})
MAX_NAME_BYTES = 255
#: Control, invisible formatting (e.g. right-to-left overrides), unassigned, line breaks.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


class ZipRefused(ValueError):
    """The zip is malformed or ambiguous; the message completes "the ... zip "."""


@dataclass(frozen=True)
class Member:
    """One member as both its headers agree it is; its data is at `data_offset`."""

    name: str
    method: int
    crc: int
    compressed_size: int
    size: int
    data_offset: int


@dataclass(frozen=True)
class _Listed:
    """A central directory entry: what its local header must repeat exactly."""

    name: str
    header_offset: int
    twin: tuple[object, ...]  # raw name, version needed, flags, method, time, date, CRC, sizes


def read_members(fd: int, file_size: int, max_members: int) -> list[Member]:
    """The members of the zip open at `fd`, in file order; ZipRefused says what is wrong.

    Reads only headers (the end record, the central directory, each local header).
    """
    count, central_offset, central_size = _end_record(fd, file_size)
    if count > max_members:
        raise ZipRefused(f"holds {count} members; at most {max_members} are accepted")
    listed = _central_entries(_read(fd, central_size, central_offset), count)
    names: dict[str, str] = {}
    for entry in listed:
        key = unicodedata.normalize("NFC", entry.name).casefold()
        if key in names:  # the same name twice (or twice on a case-blind disk)
            raise ZipRefused(f"holds two members named {names[key]!r} and {entry.name!r}")
        names[key] = entry.name
    return _local_entries(fd, listed, central_offset)


def member_name(raw: bytes, flags: int) -> str:
    """A member's name if it is a safe plain file name; ZipRefused otherwise.

    Safe: 1-255 bytes of UTF-8 (marked as such unless plain ASCII, so every
    reader decodes it alike), no path separators (nor characters that
    compatibility mapping turns into one), no ':' (drives and streams on
    Windows), not '.' or '..', no control or invisible formatting characters.
    """
    if not raw.isascii() and not flags & _UTF8_NAME:
        raise ZipRefused(f"names a member {raw[:80]!r} in an unmarked non-ASCII encoding")
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ZipRefused(f"names a member {raw[:80]!r} in invalid UTF-8") from None
    folded = unicodedata.normalize("NFKC", name)
    if (
        not 0 < len(raw) <= MAX_NAME_BYTES
        or folded in (".", "..")
        or any(ch in folded for ch in "/\\:")
        or any(unicodedata.category(ch) in _HIDDEN_CATEGORIES for ch in name)
    ):
        raise ZipRefused(
            f"names a member {name[:80]!r}; a member must have a plain file name "
            f"(1-{MAX_NAME_BYTES} bytes, no path separators or ':', not '.' or '..', "
            "no control characters)"
        )
    return name


def _end_record(fd: int, file_size: int) -> tuple[int, int, int]:
    if file_size < _END.size:
        raise ZipRefused(f"is {file_size} bytes: too short for a zip")
    end_at = file_size - _END.size
    (sig, disk, central_disk, here, count, central_size, central_offset, comment) = _END.unpack(
        _read(fd, _END.size, end_at)
    )
    if sig != _END_SIG:
        tail = _read(fd, min(file_size, 65_557), max(0, file_size - 65_557))
        if _END_SIG in tail:
            raise ZipRefused("has a comment or other data after its end record; none is accepted")
        raise ZipRefused("is not a zip (it has no end of central directory record)")
    if comment:
        raise ZipRefused("declares an archive comment; none is accepted")
    if 0xFFFF in (count, here) or 0xFFFFFFFF in (central_size, central_offset):
        raise ZipRefused("uses zip64 fields; they are not accepted")
    if end_at >= 20 and _read(fd, 4, end_at - 20) == _ZIP64_LOCATOR_SIG:
        raise ZipRefused("has a zip64 locator; zip64 is not accepted")
    if disk or central_disk or here != count:
        raise ZipRefused("spans several disks; only single-file zips are accepted")
    if count == 0:
        raise ZipRefused("holds no members")
    if central_offset + central_size != end_at:
        raise ZipRefused(
            f"has its central directory at {central_offset}+{central_size} bytes, "
            f"not right before its end record at {end_at}"
        )
    return count, central_offset, central_size


def _central_entries(central: bytes, count: int) -> list[_Listed]:
    listed, at = [], 0
    for _ in range(count):
        if central[at : at + 4] != _CENTRAL_SIG or at + _CENTRAL.size > len(central):
            raise ZipRefused("has a damaged central directory")
        fields = _CENTRAL.unpack_from(central, at)
        _made_by, needed, flags, method, time, date, crc, csize, size = fields[1:10]
        name_len, extra_len, comment_len, disk, _internal, external, offset = fields[10:]
        at += _CENTRAL.size
        raw_name = central[at : at + name_len]
        extra = central[at + name_len : at + name_len + extra_len]
        at += name_len + extra_len + comment_len
        if at > len(central):
            raise ZipRefused("has a damaged central directory")
        name = member_name(raw_name, flags)
        if comment_len:
            raise ZipRefused(f"gives member {name!r} a comment; none is accepted")
        if disk:
            raise ZipRefused("spans several disks; only single-file zips are accepted")
        _check_method_and_flags(name, method, flags)
        _check_extra(name, extra)
        _check_file_type(name, external)
        if 0xFFFFFFFF in (csize, size, offset):
            raise ZipRefused(f"uses zip64 fields for member {name!r}; they are not accepted")
        if method == STORED and csize != size:
            raise ZipRefused(f"stores member {name!r} as {csize} bytes but declares {size}")
        twin = (raw_name, needed, flags, method, time, date, crc, csize, size)
        listed.append(_Listed(name, offset, twin))
    if at != len(central):
        raise ZipRefused("has data in its central directory that no member owns")
    return listed


def _local_entries(fd: int, listed: list[_Listed], central_offset: int) -> list[Member]:
    """Local entries back to back from byte 0 to the central directory, each the twin
    of its central entry: nothing hides before, between or after them."""
    found: list[Member] = []
    expected_at = 0
    for entry in sorted(listed, key=lambda e: e.header_offset):
        at = entry.header_offset
        if at < expected_at:
            raise ZipRefused(f"has members that overlap ({entry.name!r})")
        if at > expected_at:
            where = "before its first member" if not found else "between its members"
            raise ZipRefused(f"has {at - expected_at} bytes that no header lists {where}")
        header = _read(fd, _LOCAL.size, at)
        if len(header) != _LOCAL.size or header[:4] != _LOCAL_SIG:
            raise ZipRefused(f"has no local header where member {entry.name!r} starts")
        _sig, needed, flags, method, time, date, crc, csize, size, name_len, extra_len = (
            _LOCAL.unpack(header)
        )
        tail = _read(fd, name_len + extra_len, at + _LOCAL.size)
        twin = (tail[:name_len], needed, flags, method, time, date, crc, csize, size)
        if twin != entry.twin:
            raise ZipRefused(
                f"describes member {entry.name!r} differently in its local and central headers"
            )
        _check_extra(entry.name, tail[name_len:])
        data_offset = at + _LOCAL.size + name_len + extra_len
        found.append(Member(entry.name, method, crc, csize, size, data_offset))
        expected_at = data_offset + csize
    if expected_at > central_offset:
        raise ZipRefused("has member data that runs into its central directory")
    if expected_at < central_offset:
        raise ZipRefused(
            f"has {central_offset - expected_at} bytes that no header lists "
            "between its last member and its central directory"
        )
    return found


def _check_method_and_flags(name: str, method: int, flags: int) -> None:
    if method not in (STORED, DEFLATED):
        label = _METHOD_NAMES.get(method, "an unknown method")
        raise ZipRefused(
            f"compresses member {name!r} with {label} (method {method}); "
            "only stored and deflate are accepted"
        )
    allowed = _UTF8_NAME | (_DEFLATE_LEVEL_BITS if method == DEFLATED else 0)
    for bit, meaning in _FLAG_NAMES.items():
        if flags & bit:
            raise ZipRefused(f"says member {name!r} {meaning}; that is not accepted")
    if flags & ~allowed:
        raise ZipRefused(f"sets flags {flags:#06x} on member {name!r}; they are not accepted")


def _check_extra(name: str, extra: bytes) -> None:
    """Only well-formed, known extra fields that cannot rename or hide anything."""
    at, seen = 0, set()
    while at < len(extra):
        if at + 4 > len(extra):
            raise ZipRefused(f"has a malformed extra field on member {name!r}")
        tag, size = struct.unpack_from("<HH", extra, at)
        at += 4 + size
        if at > len(extra):
            raise ZipRefused(f"has a malformed extra field on member {name!r}")
        if tag not in _HARMLESS_EXTRAS:
            label = _EXTRA_NAMES.get(tag, "unknown")
            raise ZipRefused(
                f"has an extra field {tag:#06x} ({label}) on member {name!r}; "
                "readers disagree on such fields, so none is accepted"
            )
        if tag in seen:
            raise ZipRefused(f"repeats extra field {tag:#06x} on member {name!r}")
        seen.add(tag)


def _check_file_type(name: str, external: int) -> None:
    """The Unix mode is honoured whatever system wrote it (some readers do)."""
    mode = external >> 16
    if (mode and stat.S_IFMT(mode) and not stat.S_ISREG(mode)) or external & 0x10:
        kind = "a symlink" if stat.S_ISLNK(mode) else "a directory or special file"
        raise ZipRefused(f"marks member {name!r} as {kind}, not a regular file")


def _read(fd: int, size: int, offset: int) -> bytes:
    return os.pread(fd, size, offset) if size else b""
