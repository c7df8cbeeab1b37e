"""Free TCP ports on 127.0.0.1."""

from __future__ import annotations

import socket


class PortTaken(Exception):
    """The probed port was taken before the server bound it; the caller retries on another port."""


def free_port() -> int:
    """A port free on 127.0.0.1 right now (it may be taken before use: servers retry on PortTaken)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when a server could bind host:port now (SO_REUSEADDR, as uvicorn and the servers set it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def port_answers(host: str, port: int, timeout: float) -> bool:
    """True when something accepts a TCP connection there."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
