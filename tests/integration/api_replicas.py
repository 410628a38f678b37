"""API replicas in integration tests: two API processes behind haproxy, started and
stopped by ``deploy/replicas.sh`` (as ``make replicas`` starts them), and the GraphQL
calls and subscriptions the tests make through them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import redis
from websockets.sync.client import ClientConnection

ROOT = Path(__file__).resolve().parents[2]
OPERATOR = {"Authorization": "Bearer dev-operator"}
ADMIN = {"Authorization": "Bearer dev-admin"}
ANOMALIES = "fabricgraph.events.anomaly"
SUBSCRIBE = """subscription($bp: String) { events(blueprint: $bp, kinds: ["anomaly"]) {
  kind blueprint payload } }"""


@dataclass(frozen=True)
class Replicas:
    front: str
    a: str
    b: str


def free_ports(n: int) -> list[int]:
    """``n`` loopback ports free now (the kernel's choice), for a proxy and its replicas
    that must not meet another checkout's or test's API."""
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [int(s.getsockname()[1]) for s in socks]
    for s in socks:
        s.close()
    return ports


@contextmanager
def api_replicas(front: int, a: int, b: int, state_dir: Path) -> Iterator[Replicas]:
    """haproxy on ``front`` in front of replicas on ``a`` and ``b`` (their pid files and
    logs in ``state_dir``); up when entered, stopped afterwards."""
    env = {
        **os.environ,
        "FG_STATE_DIR": str(state_dir),
        "FG_API_PORT": str(front),
        "FG_API_REPLICA_PORTS": f"{a} {b}",
    }
    script = str(ROOT / "deploy" / "replicas.sh")
    started = subprocess.run(
        [script, "start"], env=env, capture_output=True, text=True, timeout=180, check=False
    )
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        yield Replicas(*(f"127.0.0.1:{p}" for p in (front, a, b)))
    finally:
        subprocess.run([script, "stop"], env=env, capture_output=True, timeout=60, check=False)


def gql(address: str, query: str, headers: dict[str, str] | None = None, **variables: Any) -> Any:
    """One GraphQL request to ``address`` (a replica or the proxy); the JSON answer."""
    response = httpx.post(
        f"http://{address}/graphql",
        json={"query": query, "variables": variables},
        headers=headers or {},
        timeout=300,
    )
    return response.json()


def subscribe_anomalies(ws: ClientConnection, bp: str) -> None:
    """Subscribe ``ws`` (graphql-transport-ws) to the anomaly events of ``bp``."""
    # subscribers need a token (a viewer's is enough), sent in connection_init
    ws.send(json.dumps({"type": "connection_init", "payload": {"token": "dev-viewer"}}))
    assert json.loads(ws.recv(timeout=30))["type"] == "connection_ack"
    payload = {"query": SUBSCRIBE, "variables": {"bp": bp}}
    ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))


def subscribers(r: redis.Redis) -> int:
    """How many listen on the anomaly channel now."""
    return int(dict(r.pubsub_numsub(ANOMALIES))[ANOMALIES.encode()])


def wait_for_subscriber(r: redis.Redis, before: int) -> None:
    """Until one more than ``before`` listens on the anomaly channel (bounded 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if subscribers(r) > before:
            return
        time.sleep(0.05)
    raise AssertionError(f"no subscriber appeared on {ANOMALIES}")


def next_anomaly(ws: ClientConnection, bp: str, timeout_s: float) -> dict[str, Any]:
    """The payload of the next anomaly event ``ws`` receives (of ``bp``)."""
    message = json.loads(ws.recv(timeout=timeout_s))
    assert message["type"] == "next", message
    event = message["payload"]["data"]["events"]
    assert (event["kind"], event["blueprint"]) == ("anomaly", bp)
    return dict(event["payload"])
