"""The readiness byte an app writes once it is SERVING, and the TLS material made once."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from golem_task_api.node.certs import TlsMaterial
from golem_task_api.wire import readiness, tls


def test_announce_writes_one_byte_and_closes(monkeypatch: pytest.MonkeyPatch) -> None:
    read_end, write_end = os.pipe()
    monkeypatch.setenv(readiness.READY_FD_ENV, str(write_end))
    readiness.announce()
    readiness.announce()  # the second time: nothing (the variable is gone)
    assert os.read(read_end, 16) == readiness.READY_BYTE
    assert os.read(read_end, 16) == b""  # closed: the starter sees EOF after the byte
    assert readiness.READY_FD_ENV not in os.environ
    os.close(read_end)


def test_announce_without_the_variable_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(readiness.READY_FD_ENV, raising=False)
    readiness.announce()


@pytest.mark.parametrize("value", ["not-a-number", "987654"])
def test_a_bad_or_closed_fd_is_not_fatal(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(readiness.READY_FD_ENV, value)
    readiness.announce()
    assert readiness.READY_FD_ENV not in os.environ


def test_one_material_written_into_many_dirs(tmp_path: Path) -> None:
    material = TlsMaterial.generate()
    for name in ("requestor", "provider"):
        material.write(tmp_path / name)
    for name in tls.ALL_FILES:
        assert (tmp_path / "requestor" / name).read_bytes() == (
            tmp_path / "provider" / name
        ).read_bytes()
    for name in (tls.SERVER_KEY, tls.CLIENT_KEY):
        assert stat.S_IMODE((tmp_path / "provider" / name).stat().st_mode) == 0o600
    assert tls.client_tls(tmp_path / "provider") is not None
    assert TlsMaterial.generate().server_key != material.server_key  # fresh each time made
