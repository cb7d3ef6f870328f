"""Free TCP ports for servers started by nodes and tests.

A port is chosen here and bound later by another process, so something else
may take it in between. The usual way (bind port 0) picks from the range the
OS also takes outgoing connections' local ports from, and a node that makes
hundreds of connections a second to its apps then loses that race now and
then ("address already in use"). So ports come from below that range, where
only listening servers live, in turn from a random starting point (no port
is handed out twice in a row by one process), each checked free just before.
"""

import errno
import itertools
import random
import socket
from pathlib import Path

_EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")
#: Ports handed out lie in [low, ephemeral low) when that leaves this many.
_MIN_SPAN = 2000
_LOWEST = 20000


def _range() -> range | None:
    try:
        low = int(_EPHEMERAL.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768  # Linux's default
    if low - _LOWEST < _MIN_SPAN:
        return None
    return range(_LOWEST, low)


def _ports() -> "itertools.cycle[int] | None":
    span = _range()
    if span is None:
        return None
    start = random.randrange(len(span))
    return itertools.cycle([*span[start:], *span[:start]])


_turn = _ports()


def _bindable(host: str, port: int) -> bool:
    # Without SO_REUSEADDR: a port with connections still closing is skipped too.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError:  # no IPv6 here: nothing can hold the port there either
        return True
    with sock:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            return family == socket.AF_INET6 and exc.errno == errno.EADDRNOTAVAIL
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on `host` and on all IPv4 and IPv6 addresses (apps bind them), from outside
    the OS's range for outgoing connections when it leaves room."""
    if _turn is not None:
        for _ in range(_MIN_SPAN):
            port = next(_turn)
            if all(_bindable(address, port) for address in ("0.0.0.0", "::", host)):
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        found: int = sock.getsockname()[1]
        return found
