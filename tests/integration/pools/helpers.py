"""Worker pools in integration tests: real Celery workers of named pools, started and
stopped the way deploy/services.sh starts them (``worker@QUEUE``), and a device
endpoint that accepts SSH connections and stays silent until released (a push to it
stays in flight as long as the test wants)."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from blueprint_engine.devices.worker_pools import WorkerPools
from blueprint_engine.graph.db import Graph, Query

ROOT = Path(__file__).resolve().parents[3]
T = TypeVar("T")

DROP_POOLS = Query(
    "test.pools.drop",
    "MATCH (p:WorkerPool) WHERE p.name IN $names DETACH DELETE p",
)


def services(*args: str) -> None:
    subprocess.run(
        [str(ROOT / "deploy" / "services.sh"), *args],
        check=True,
        timeout=150,
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
    )


@contextmanager
def pool_worker(queue: str) -> Iterator[None]:
    """A worker process consuming ``queue`` (up when entered: it answered a ping)."""
    services("start", f"worker@{queue}")
    try:
        yield
    finally:
        services("stop", f"worker@{queue}")


def wait_for(what: Callable[[], T], timeout_s: float, label: str) -> T:
    """``what()`` once it is truthy, checked every 0.2 s for at most ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = what()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:.0f} s: {label} (last: {found!r})")
        time.sleep(0.2)


@contextmanager
def made_pools(graph: Graph, *names: str, capacity: int = 50) -> Iterator[dict[str, str]]:
    """Pools ``{name: queue}`` created for one test (queue = name), deleted afterwards."""
    tag = uuid.uuid4().hex[:6]
    made = {f"t-{n}-{tag}": f"t-{n}-{tag}" for n in names}
    pools = WorkerPools(graph)
    for name, queue in made.items():
        pools.create(name, queue, capacity)
    try:
        yield made
    finally:
        graph.write(DROP_POOLS, names=list(made))


class SilentDevice:
    """A TCP endpoint that accepts connections and sends nothing until ``release()``:
    an SSH client waits for its banner, so a push to it stays in flight."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.accepted = 0
        self._conns: list[socket.socket] = []
        self._released = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            if self._released.is_set():
                conn.close()
            else:
                self._conns.append(conn)

    def release(self) -> None:
        """Close every held connection (the client fails at once) and those to come."""
        self._released.set()
        for conn in self._conns:
            conn.close()

    def close(self) -> None:
        self.release()
        self._stop.set()
        self._thread.join(timeout=2)
        self.server.close()
