"""Ports handed to apps: free, and clear of the range outgoing connections use."""

import itertools
import socket

import pytest
from golem_task_api.node import ports


def test_ports_are_free_distinct_and_below_the_outgoing_range() -> None:
    span = ports._range()
    handed = [ports.free_port() for _ in range(50)]
    assert len(set(handed)) == len(handed)
    for port in handed:
        if span is not None:
            assert port in span
        with socket.socket() as sock:  # really free on every address
            sock.bind(("0.0.0.0", port))


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize(
    "holder",
    [
        (socket.AF_INET, "127.0.0.1"),
        pytest.param(
            (socket.AF_INET6, "::"), marks=pytest.mark.skipif(not _ipv6(), reason="no IPv6")
        ),
    ],
)
def test_a_port_in_use_is_skipped(
    monkeypatch: pytest.MonkeyPatch, holder: tuple[socket.AddressFamily, str]
) -> None:
    family, address = holder
    first = ports.free_port()
    monkeypatch.setattr(ports, "_turn", itertools.cycle([first, first + 1]))
    with socket.socket(family) as taken:
        if family == socket.AF_INET6:  # held on IPv6 alone, as an app's second socket is
            taken.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        taken.bind((address, first))
        taken.listen()
        assert {ports.free_port() for _ in range(5)} == {first + 1}
