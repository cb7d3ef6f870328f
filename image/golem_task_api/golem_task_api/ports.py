"""Free TCP ports for servers started by nodes and tests."""

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS just reported free; a race with other users is possible but rare."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
