"""Forward the management network's TCP port to the API on loopback.

``python -m lab.mgmt_relay LISTEN_HOST PORT TARGET_HOST TARGET_PORT PIDFILE``: the lab
starts it on the management bridge's address; the pid file appears once it listens.
Each connection is bounded (idle 30 s, 1 MiB each way): the management network is
as untrusted as any other.
"""

from __future__ import annotations

import asyncio
import os
import sys

IDLE_S = 30.0
MAX_BYTES = 1 << 20


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    sent = 0
    try:
        while sent < MAX_BYTES:
            data = await asyncio.wait_for(reader.read(65536), IDLE_S)
            if not data:
                break
            sent += len(data)
            writer.write(data)
            await writer.drain()
    except (TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(host: str, port: int, target: str, target_port: int, pidfile: str) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_r, up_w = await asyncio.wait_for(asyncio.open_connection(target, target_port), 5)
        except (OSError, TimeoutError):
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_w), _pipe(up_r, writer))

    server = await asyncio.start_server(handle, host, port)
    tmp = pidfile + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()}\n")
    os.replace(tmp, pidfile)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    h, p, th, tp, pf = sys.argv[1:6]
    asyncio.run(serve(h, int(p), th, int(tp), pf))
