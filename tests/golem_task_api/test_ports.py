"""Ports handed to apps: free, and clear of the range outgoing connections use."""

import itertools
import socket

import pytest
from golem_task_api import ports


def test_ports_are_free_distinct_and_below_the_outgoing_range() -> None:
    span = ports._range()
    handed = [ports.free_port() for _ in range(50)]
    assert len(set(handed)) == len(handed)
    for port in handed:
        if span is not None:
            assert port in span
        with socket.socket() as sock:  # really free on every address
            sock.bind(("0.0.0.0", port))


def test_a_port_in_use_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    first = ports.free_port()
    monkeypatch.setattr(ports, "_turn", itertools.cycle([first, first + 1]))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", first))
        taken.listen()
        assert {ports.free_port() for _ in range(5)} == {first + 1}
