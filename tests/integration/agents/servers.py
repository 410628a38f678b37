"""Loopback servers for agent tests: an SSH server that rejects every password (and
remembers what it was sent), and a TCP server that accepts and never speaks."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import paramiko

# the agent's TCP probe connects and closes without a banner: not an error worth a trace
logging.getLogger("paramiko.transport").setLevel(logging.CRITICAL)


class _RejectAll(paramiko.ServerInterface):  # type: ignore[misc]
    def __init__(self, seen: list[str]) -> None:
        self.seen = seen

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_auth_password(self, username: str, password: str) -> int:
        self.seen.append(password)
        return int(paramiko.AUTH_FAILED)


def _listener() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.5)
    return sock


@contextmanager
def rejecting_ssh_server() -> Iterator[tuple[int, list[str]]]:
    """(port, passwords received): every authentication attempt fails."""
    key = paramiko.RSAKey.generate(2048)
    sock, stop = _listener(), threading.Event()
    seen: list[str] = []
    transports: list[paramiko.Transport] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except (TimeoutError, OSError):
                continue
            transport = paramiko.Transport(conn)
            transport.add_server_key(key)
            transports.append(transport)
            try:
                transport.start_server(server=_RejectAll(seen))
            except (paramiko.SSHException, EOFError, OSError):
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], seen
    finally:
        stop.set()
        thread.join(timeout=5)
        for transport in transports:
            transport.close()
        sock.close()


@contextmanager
def silent_tcp_server() -> Iterator[int]:
    """A port that accepts connections and never sends a byte."""
    sock, stop = _listener(), threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except (TimeoutError, OSError):
                continue
            held.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        sock.close()


def refused_port(address: str, start: int = 1) -> int:
    """A port on ``address`` where nothing listens (connect refused), from ``start`` up."""
    for port in range(start, start + 200):
        try:
            with socket.create_connection((address, port), timeout=1):
                continue
        except ConnectionRefusedError:
            return port
    raise AssertionError(f"every port {start}..{start + 199} on {address} answers")
