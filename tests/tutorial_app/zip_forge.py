"""Hostile zips built byte by byte, for the zip tests and `benchmarks/zip_bombs.py`.

`zipfile` only writes well-formed archives, so the oddities that make
readers disagree (a Unicode Path extra field, a local header that differs
from its central one, entries the central directory does not list) and
bombs in methods we refuse are laid out here by hand, after APPNOTE.TXT.
"""

from __future__ import annotations

import bz2
import functools
import lzma
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

STORED, DEFLATED, BZIP2, LZMA = 0, 8, 12, 14
LOCAL_SIG = b"PK\x03\x04"
CENTRAL_SIG = b"PK\x01\x02"
END_SIG = b"PK\x05\x06"
MIB = 1 << 20


@dataclass(frozen=True)
class Entry:
    """One member as written; `local` overrides fields of its local header only."""

    name: bytes
    data: bytes  # the member's bytes as stored (already compressed)
    method: int = STORED
    flags: int = 0
    crc: int = 0
    size: int = 0  # uncompressed size as declared
    extra: bytes = b""
    central_extra: bytes | None = None  # None: the same as the local extra
    external_attr: int = 0o100644 << 16
    local: dict[str, object] = field(default_factory=dict)


def entry(name: str | bytes, content: bytes, method: int = STORED, **kw: object) -> Entry:
    """An honest entry: the data compressed with `method`, true CRC and sizes."""
    raw = name.encode("utf-8") if isinstance(name, str) else name
    data = compress(content, method)
    flags = 0x800 if not raw.isascii() else 0
    honest = Entry(raw, data, method, flags, zlib.crc32(content), len(content))
    return replace(honest, **kw)  # type: ignore[arg-type]


def compress(content: bytes | Iterable[bytes], method: int) -> bytes:
    chunks = [content] if isinstance(content, bytes) else content
    if method == STORED:
        return b"".join(chunks)
    if method == DEFLATED:
        deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
        return b"".join(deflate.compress(c) for c in chunks) + deflate.flush()
    if method == BZIP2:
        bzip = bz2.BZ2Compressor(9)
        return b"".join(bzip.compress(c) for c in chunks) + bzip.flush()
    if method == LZMA:  # zipfile's layout: version, properties size, properties, raw LZMA1
        filters = [{"id": lzma.FILTER_LZMA1, "preset": 0}]  # fast; zeros pack ~7000:1 anyway
        props: bytes = lzma._encode_filter_properties(filters[0])  # type: ignore[attr-defined]
        packer = lzma.LZMACompressor(lzma.FORMAT_RAW, filters=filters)
        body = b"".join(packer.compress(c) for c in chunks) + packer.flush()
        return struct.pack("<BBH", 9, 4, len(props)) + props + body
    raise ValueError(f"no compressor for method {method}")


def local_header(e: Entry) -> bytes:
    f = {
        "version": 20,
        "flags": e.flags,
        "method": e.method,
        "crc": e.crc,
        "csize": len(e.data),
        "size": e.size,
        "name": e.name,
        "extra": e.extra,
        **e.local,
    }
    name, extra = f["name"], f["extra"]
    assert isinstance(name, bytes) and isinstance(extra, bytes)
    fixed = struct.pack(
        "<4sHHHHHIIIHH",
        LOCAL_SIG,
        f["version"],
        f["flags"],
        f["method"],
        0,
        0x21,  # 1980-01-01 00:00
        f["crc"],
        f["csize"],
        f["size"],
        len(name),
        len(extra),
    )
    return fixed + name + extra


def central_header(e: Entry, offset: int) -> bytes:
    extra = e.extra if e.central_extra is None else e.central_extra
    fixed = struct.pack(
        "<4sHHHHHHIIIHHHHHII",
        CENTRAL_SIG,
        (3 << 8) | 20,  # made on Unix, version 2.0
        20,
        e.flags,
        e.method,
        0,
        0x21,
        e.crc,
        len(e.data),
        e.size,
        len(e.name),
        len(extra),
        0,
        0,
        0,
        e.external_attr,
        offset,
    )
    return fixed + e.name + extra


def build(
    entries: list[Entry],
    *,
    listed: list[int] | None = None,
    prefix: bytes = b"",
    gap: bytes = b"",
    comment: bytes = b"",
    trailer: bytes = b"",
) -> bytes:
    """Entries in order; the central directory lists `listed` (all by default).

    `prefix` goes before the first entry, `gap` between the last entry and the
    central directory, `trailer` after the end record.
    """
    out = bytearray(prefix)
    offsets = []
    for e in entries:
        offsets.append(len(out))
        out += local_header(e) + e.data
    out += gap
    central_at = len(out)
    chosen = range(len(entries)) if listed is None else listed
    for index in chosen:
        out += central_header(entries[index], offsets[index])
    count = len(chosen)
    central_size = len(out) - central_at
    out += struct.pack(
        "<4sHHHHIIH", END_SIG, 0, 0, count, count, central_size, central_at, len(comment)
    )
    return bytes(out + comment + trailer)


def extra_field(tag: int, data: bytes) -> bytes:
    return struct.pack("<HH", tag, len(data)) + data


def unicode_path_extra(shown_name: bytes, real_name: str) -> bytes:
    """Info-ZIP Unicode Path (0x7075): `unzip` extracts under `real_name`."""
    body = b"\x01" + struct.pack("<I", zlib.crc32(shown_name)) + real_name.encode("utf-8")
    return extra_field(0x7075, body)


@functools.lru_cache(maxsize=8)
def bomb(method: int, inflated: int, name: str = "result.txt", declared: int = 85) -> bytes:
    """One member whose `inflated` zero bytes (packed by `method`) claim to be `declared`."""
    packed = compress((b"\0" * MIB for _ in range(inflated // MIB)), method)
    flags = 0x2 if method == LZMA else 0  # zipfile's LZMA writer marks the end-of-stream
    return build([Entry(name.encode(), packed, method, flags, 0, declared)])


#: bzip2 of 1 GiB of zero bytes (785 bytes; `compress((b"\0" * MIB for _ in range(1024)),
#: BZIP2)` gives the same in ~10 s): 23 identical blocks of ~45 MiB each, then a shorter one.
_BZ_BLOCK = bytes.fromhex("314159265359")
BZIP2_GIB = (
    b"BZh9"
    + (_BZ_BLOCK + bytes.fromhex("0e09e2df015f8e4000c0000008200030804d4642a025a90a8097")) * 23
    + _BZ_BLOCK
    + bytes.fromhex(
        "487c5fc9008a52c800c00000040008200030cc0529a69122436144890f177245385090f688e402"
    )
)


def bzip2_gib_bomb(name: str = "result.txt", declared: int = 85) -> bytes:
    """A 903-byte zip whose bzip2 member inflates to 1 GiB and claims `declared` bytes."""
    return build([Entry(name.encode(), BZIP2_GIB, BZIP2, 0, 0, declared)])
