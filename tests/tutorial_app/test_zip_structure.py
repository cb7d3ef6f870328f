"""Zips that different readers would see differently are refused before any inflating.

Each hostile zip is built byte by byte (`zip_forge`); the control cases are
what `zipfile` and Info-ZIP `zip` write, which must keep passing.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest
from tutorial_app.files import zipformat, zips

from tests.tutorial_app.zip_forge import (
    BZIP2,
    DEFLATED,
    LZMA,
    Entry,
    build,
    entry,
    extra_field,
    unicode_path_extra,
)

LINE = b"a" * 64 + b" 12345"
LIMIT = zips.MAX_RESULT_BYTES


def read(tmp_path: Path, data: bytes, limit: int = LIMIT) -> tuple[str, bytes]:
    path = tmp_path / "r.zip"
    path.write_bytes(data)
    return zips.read_named_member(path, limit, "result")


def refused(tmp_path: Path, data: bytes, match: str) -> None:
    with pytest.raises(ValueError, match=match) as caught:
        read(tmp_path, data)
    assert str(caught.value).startswith("the result zip"), caught.value


# -- what honest writers produce is accepted ------------------------------------


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
@pytest.mark.parametrize("name", ["result.txt", "8a3c1e6e-8b7b-11ea-9c2a-0242ac110002", "zażółć"])
def test_zips_written_by_zipfile_are_read(tmp_path: Path, method: int, name: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        archive.writestr(name, LINE)
    assert read(tmp_path, buffer.getvalue()) == (name, LINE)


@pytest.mark.skipif(shutil.which("zip") is None, reason="needs Info-ZIP zip")
@pytest.mark.parametrize("level", ["-0", "-6", "-9"])
def test_zips_written_by_info_zip_are_read(tmp_path: Path, level: str) -> None:
    """Info-ZIP adds timestamp and owner extra fields, which are harmless."""
    (tmp_path / "result.txt").write_bytes(LINE)
    subprocess.run(["zip", "-q", level, "out.zip", "result.txt"], cwd=tmp_path, check=True)
    assert zips.read_named_member(tmp_path / "out.zip", LIMIT, "result") == ("result.txt", LINE)


def test_our_own_zips_are_read_and_do_not_depend_on_the_clock(tmp_path: Path) -> None:
    first = zips.result_zip_bytes(LINE.decode())
    assert first == zips.result_zip_bytes(LINE.decode())
    assert read(tmp_path, first) == (zips.RESULT_MEMBER, LINE)
    big = zips.zip_bytes(zips.INPUT_MEMBER, "x" * 100_000)
    assert read(tmp_path, big, 200_000) == (zips.INPUT_MEMBER, b"x" * 100_000)


def test_a_forged_honest_zip_is_read(tmp_path: Path) -> None:
    """The forge itself is sound: its honest output passes."""
    assert read(tmp_path, build([entry("result.txt", LINE, DEFLATED)])) == ("result.txt", LINE)


# -- names readers would rewrite --------------------------------------------------


def test_a_unicode_path_extra_field_is_refused(tmp_path: Path) -> None:
    """`unzip` would extract this `result.txt` as ../../pwned.sh."""
    extra = unicode_path_extra(b"result.txt", "../../pwned.sh")
    refused(tmp_path, build([entry("result.txt", LINE, extra=extra)]), r"0x7075.*Unicode Path")


@pytest.mark.parametrize(
    ("tag", "label"),
    [(0x0001, "zip64"), (0x6375, "Unicode Comment"), (0x9901, "AES"), (0x1234, "")],
)
def test_other_extra_fields_are_refused(tmp_path: Path, tag: int, label: str) -> None:
    zip_data = build([entry("result.txt", LINE, extra=extra_field(tag, b"\0" * 8))])
    refused(tmp_path, zip_data, f"extra field {tag:#06x} \\({label or 'unknown'}")


def test_an_extra_field_only_in_the_central_header_is_refused(tmp_path: Path) -> None:
    extra = unicode_path_extra(b"result.txt", ".bashrc")
    refused(tmp_path, build([entry("result.txt", LINE, central_extra=extra)]), "0x7075")


def test_a_malformed_extra_field_is_refused(tmp_path: Path) -> None:
    refused(tmp_path, build([entry("result.txt", LINE, extra=b"\x55\x54\x09")]), "malformed")


@pytest.mark.parametrize(
    "name",
    [
        "../result.txt",
        "a/result.txt",
        "a\\result.txt",
        "/etc/passwd",
        "..",
        ".",
        "C:result.txt",
        "result\x00.txt",
        "result\n.txt",
        "result\x7f",
        "result\u202etxt.sh",  # a right-to-left override hides the real extension
        "\uff0e\uff0e",  # fullwidth dots: '..' after compatibility mapping
        "a\uff0fb",  # a fullwidth solidus: '/' after compatibility mapping
        "x" * 256,
        "",
    ],
)
def test_unsafe_member_names_are_refused(tmp_path: Path, name: str) -> None:
    refused(tmp_path, build([entry(name, LINE)]), "names a member")


def test_a_non_ascii_name_not_marked_utf8_is_refused(tmp_path: Path) -> None:
    """cp437 or the locale: readers decode it differently, so refuse it."""
    forged = entry("zażółć".encode(), LINE, flags=0)
    refused(tmp_path, build([forged]), "unmarked non-ASCII")


# -- entries outside the central directory ---------------------------------------


def test_a_hidden_local_entry_before_the_central_directory_is_refused(tmp_path: Path) -> None:
    """A streaming extractor (bsdtar -xf -) would see both entries, zipfile one."""
    listed = entry("result.txt", LINE)
    hidden = entry("result.txt", b"evil payload")
    refused(tmp_path, build([listed, hidden], listed=[0]), "no header lists between")


def test_a_hidden_local_entry_before_the_first_member_is_refused(tmp_path: Path) -> None:
    hidden = entry("result.txt", b"evil payload")
    refused(tmp_path, build([hidden, entry("result.txt", LINE)], listed=[1]), "before its first")


@pytest.mark.parametrize(
    ("where", "match"),
    [
        ("prefix", "before its first member"),
        ("gap", "between its last member"),
        ("trailer", "after its end record"),
        ("comment", "after its end record|archive comment"),
    ],
)
def test_bytes_outside_every_entry_are_refused(tmp_path: Path, where: str, match: str) -> None:
    zip_data = build([entry("result.txt", LINE)], **{where: b"hidden bytes"})  # type: ignore[arg-type]
    refused(tmp_path, zip_data, match)


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    twins = [entry("result.txt", LINE), entry("result.txt", b"other")]
    refused(tmp_path, build(twins), "two members named")


def test_names_equal_on_a_case_blind_disk_are_refused(tmp_path: Path) -> None:
    twins = [entry("result.txt", LINE), entry("RESULT.TXT", b"other")]
    refused(tmp_path, build(twins), "two members named")


def test_two_distinct_members_are_refused(tmp_path: Path) -> None:
    pair = [entry("result.txt", LINE), entry("other.txt", b"other")]
    refused(tmp_path, build(pair), "exactly one member, it holds 2")


def test_one_local_entry_listed_twice_is_refused(tmp_path: Path) -> None:
    refused(tmp_path, build([entry("result.txt", LINE)], listed=[0, 0]), "two members|overlap")


# -- local and central headers that disagree ---------------------------------------


@pytest.mark.parametrize(
    "local",
    [
        {"name": b"resulu.txt"},
        {"size": len(LINE) + 1},
        {"csize": len(LINE) - 1},
        {"crc": 0x12345678},
        {"method": DEFLATED},
        {"flags": 0x0800},
        {"version": 45},
    ],
    ids=["name", "size", "compressed size", "crc", "method", "flags", "version"],
)
def test_local_and_central_headers_must_agree(tmp_path: Path, local: dict[str, object]) -> None:
    refused(tmp_path, build([entry("result.txt", LINE, local=local)]), "differently|bytes")


# -- features we do not read ------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "label"),
    [(BZIP2, "bzip2"), (LZMA, "LZMA"), (9, "deflate64"), (99, "AES encryption")],
)
def test_methods_other_than_stored_and_deflate_are_refused(
    tmp_path: Path, method: int, label: str
) -> None:
    forged = Entry(b"result.txt", b"\0" * 40, method, 0, zlib.crc32(LINE), len(LINE))
    refused(tmp_path, build([forged]), f"{label} \\(method {method}\\).*only stored and deflate")


@pytest.mark.parametrize(
    ("flags", "match"),
    [(0x1, "encrypted"), (0x8, "data descriptor"), (0x40, "strong encryption"), (0x10, "flags")],
)
def test_flags_that_change_how_data_is_read_are_refused(
    tmp_path: Path, flags: int, match: str
) -> None:
    refused(tmp_path, build([entry("result.txt", LINE, flags=flags)]), match)


def test_zip64_sizes_are_refused(tmp_path: Path) -> None:
    forged = entry("result.txt", LINE, size=0xFFFFFFFF, local={"size": 0xFFFFFFFF})
    refused(tmp_path, build([forged]), "zip64")


def test_a_zip64_locator_is_refused(tmp_path: Path) -> None:
    """Readers that see a locator before the end record read the zip64 record instead."""
    data = bytearray(build([entry("result.txt", LINE)]))
    end = len(data) - 22
    forged = data[: end - 20] + b"PK\x06\x07" + bytes(16) + data[end:]
    refused(tmp_path, bytes(forged), "zip64 locator|central directory")


def test_a_member_comment_is_refused(tmp_path: Path) -> None:
    data = bytearray(build([entry("result.txt", LINE)]))
    central = data.find(b"PK\x01\x02")
    data[central + 32 : central + 34] = struct.pack("<H", 3)
    end = len(data) - 22
    data[end + 12 : end + 16] = struct.pack("<I", len(data) - central - 22 + 3)
    refused(tmp_path, bytes(data[:end] + b"hi!" + data[end:]), "comment")


@pytest.mark.parametrize("mode", [0o120777, 0o040755, 0o010644])
def test_members_that_are_not_regular_files_are_refused(tmp_path: Path, mode: int) -> None:
    forged = entry("result.txt", LINE, external_attr=mode << 16)
    refused(tmp_path, build([forged]), "not a regular file")


# -- data that lies about its size --------------------------------------------------


def test_deflate_that_inflates_past_its_declared_size_is_refused(tmp_path: Path) -> None:
    bomb = entry("result.txt", b"\0" * (8 << 20), DEFLATED, size=85, crc=0)
    refused(tmp_path, build([bomb]), "past its declared 85 bytes")


def test_deflate_cut_short_or_with_bytes_after_it_is_refused(tmp_path: Path) -> None:
    honest = entry("result.txt", LINE, DEFLATED)
    refused(tmp_path, build([Entry(**{**honest.__dict__, "data": honest.data[:-2]})]), "cut short")
    padded = Entry(**{**honest.__dict__, "data": honest.data + b"tail"})
    refused(tmp_path, build([padded]), "bytes after its deflate data")


def test_a_wrong_crc_is_refused(tmp_path: Path) -> None:
    refused(tmp_path, build([entry("result.txt", LINE, crc=1)]), "CRC-32")


def test_a_declared_size_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    forged = entry("result.txt", b"x" * (LIMIT + 1))
    refused(tmp_path, build([forged]), f"declares {LIMIT + 1} bytes")


def test_the_structure_check_reads_no_member_data(tmp_path: Path) -> None:
    """The parser alone returns where the data is without touching it."""
    data = build([entry("result.txt", LINE, DEFLATED)])
    path = tmp_path / "r.zip"
    path.write_bytes(data)
    with path.open("rb") as handle:
        [member] = zipformat.read_members(handle.fileno(), len(data), 4)
    assert (member.name, member.method, member.size) == ("result.txt", DEFLATED, len(LINE))
    assert data[member.data_offset : member.data_offset + member.compressed_size] == (
        entry("result.txt", LINE, DEFLATED).data
    )
