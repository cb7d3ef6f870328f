"""Zips from the network: any damage is a ValueError with a reason, never a crash."""

from __future__ import annotations

import io
import stat
import tempfile
import unicodedata
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tutorial_app.files import zips

GOOD = zips.zip_bytes(zips.RESULT_MEMBER, "a" * 64 + " 12345")

#: A member whose name is empty: zipfile's own `is_dir()` raises IndexError on it.
EMPTY_MEMBER_NAME = bytes.fromhex(
    "504b03041400000008003460775d2ff1dcca0c000000460000000a000000726573756c742e7478744b4c"
    "a40c28181a199b980200504b0102140314000000087b3460775d2ff1dcca0c000000460000000a000000"
    "0000000000000000800100000000007073756c752e747874504b0506000000000100010038000000340000"
    "000000"
)


def test_a_member_without_a_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.zip"
    path.write_bytes(EMPTY_MEMBER_NAME)
    with pytest.raises(ValueError, match="the result zip"):
        zips.read_named_member(path, zips.MAX_RESULT_BYTES, "result")


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(st.integers(0, len(GOOD) - 1), st.integers(0, 255)), min_size=1, max_size=6)
)
def test_damaged_zips_are_refused_with_a_reason(
    tmp_path: Path, damage: list[tuple[int, int]]
) -> None:
    data = bytearray(GOOD)
    for offset, value in damage:
        data[offset] = value
    path = tmp_path / "r.zip"
    path.write_bytes(bytes(data))
    try:
        name, _ = zips.read_named_member(path, zips.MAX_RESULT_BYTES, "result")
    except ValueError as refused:
        assert str(refused).startswith("the result"), refused
    else:
        assert name  # some damage (to a CRC-free field) leaves a readable zip


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=80))
def test_any_safe_member_name_is_read_and_no_unsafe_one(name: str) -> None:
    """The original app names members after the subtask: any plain name passes,
    nothing that could leave the directory or hide characters does."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo(name or "x"), b"hello")
    written = zipfile.ZipFile(io.BytesIO(buffer.getvalue())).namelist()[0]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.zip"
        path.write_bytes(buffer.getvalue())
        try:
            got, data = zips.read_named_member(path, zips.MAX_RESULT_BYTES, "result")
        except ValueError as refused:
            assert "names a member" in str(refused), refused
        else:
            assert (got, data) == (written, b"hello")
            folded = unicodedata.normalize("NFKC", got)
            assert not set("/\\:") & set(folded) and folded not in (".", "..")
            assert all(unicodedata.category(ch)[0] != "C" for ch in got)


@given(
    st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    st.integers(min_value=0, max_value=2**64 - 1),
)
def test_result_zips_are_packed_exactly_as_zipfile_writes_them(digest: str, nonce: int) -> None:
    """Our direct packing of the published result zip is zipfile's output, byte for byte."""
    line = f"{digest} {nonce}"
    packed = zips.result_zip_bytes(line)
    assert packed == zipfile_writes(zips.RESULT_MEMBER, line, compress=False)
    with zipfile.ZipFile(io.BytesIO(packed)) as archive:
        assert archive.read(zips.RESULT_MEMBER).decode() == line


def zipfile_writes(member: str, text: str, *, compress: bool) -> bytes:
    """The independent counterpart: what `zipfile` writes for one member, our date and mode."""
    info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
    info.create_system = 3
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


@given(
    st.sampled_from([zips.INPUT_MEMBER, zips.RESULT_MEMBER, "s1.zip", "r\u00e9sultat.txt"]),
    st.text(max_size=3000) | st.text(alphabet="ab\n", max_size=5000),
    st.booleans(),
)
def test_zips_are_packed_exactly_as_zipfile_writes_them(
    member: str, text: str, compress: bool
) -> None:
    """Input zips (deflated) and stored ones: zipfile's bytes, and zipfile reads them back."""
    packed = zips.zip_bytes(member, text, compress=compress)
    assert packed == zipfile_writes(member, text, compress=compress)
    with zipfile.ZipFile(io.BytesIO(packed)) as archive:
        assert archive.testzip() is None
        assert archive.read(member).decode("utf-8") == text
