"""A minimal ICMP echo (``python -m lab.ping SRC DST``), run inside a server namespace.

The lab machine has no ``ping`` binary; this sends echo requests from ``SRC`` (an
address of the namespace) and exits 0 on the first matching reply.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import sys
import time

ICMP_ECHO_REQUEST = 8
ICMP_ECHO_REPLY = 0


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def echo_request(ident: int, seq: int, payload: bytes) -> bytes:
    header = struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, 0, ident, seq)
    csum = checksum(header + payload)
    return struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, csum, ident, seq) + payload


def is_reply(packet: bytes, ident: int, source: str) -> bool:
    """An IPv4 packet carrying our echo reply from ``source``."""
    header_len = (packet[0] & 0x0F) * 4
    icmp_type, _, _, reply_ident, _ = struct.unpack("!BBHHH", packet[header_len : header_len + 8])
    sender = socket.inet_ntoa(packet[12:16])
    return icmp_type == ICMP_ECHO_REPLY and reply_ident == ident and sender == source


def ping(src: str, dst: str, count: int = 3, timeout: float = 1.0) -> bool:
    ident = os.getpid() & 0xFFFF
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as sock:
        sock.bind((src, 0))
        for seq in range(count):
            sock.sendto(echo_request(ident, seq, b"fabricgraph-lab"), (dst, 0))
            deadline = time.monotonic() + timeout
            while (left := deadline - time.monotonic()) > 0:
                ready, _, _ = select.select([sock], [], [], left)
                if ready and is_reply(sock.recv(2048), ident, dst):
                    return True
    return False


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m lab.ping SRC_ADDRESS DST_ADDRESS", file=sys.stderr)
        return 2
    ok = ping(argv[0], argv[1])
    print(f"{argv[0]} -> {argv[1]}: {'reachable' if ok else 'unreachable'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
