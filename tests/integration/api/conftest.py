"""The API served over real HTTP by uvicorn in its own process, against the real services."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(settings: dict[str, str]) -> Iterator[str]:
    """Base URL of the API in a uvicorn process on a free port, with these settings."""
    port = free_port()
    env = {**os.environ, **settings}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, "the API exited during start"
        try:
            if httpx.get(f"{url}/health/live", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the API did not answer /health/live within 60 s"
        time.sleep(0.1)
    yield url
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """Base URL of the API in a uvicorn process on a free port (2 s exploration limit)."""
    with serving({"FG_CYPHER_TIMEOUT_S": "2"}) as url:
        yield url


@pytest.fixture
def http(served: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served, timeout=30.0) as client:
        yield client
