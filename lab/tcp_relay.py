"""Relay stdin/stdout to a TCP port (``python -m lab.tcp_relay HOST PORT``).

Run inside a lab namespace with ``ip netns exec``, it is the SSH ``ProxyCommand``
that lets a client in the root namespace reach an sshd inside the lab (the lab has
no route to or from the machine).
"""

from __future__ import annotations

import os
import select
import socket
import sys


def relay(host: str, port: int) -> None:
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.settimeout(None)
        stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
        while True:
            ready, _, _ = select.select([sock, stdin], [], [])
            if sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                os.write(stdout, data)
            if stdin in ready:
                data = os.read(stdin, 65536)
                if not data:
                    sock.shutdown(socket.SHUT_WR)
                    return
                sock.sendall(data)


if __name__ == "__main__":
    relay(sys.argv[1], int(sys.argv[2]))
