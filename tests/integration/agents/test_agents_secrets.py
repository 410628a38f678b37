"""A recognisable password, injected through a credential set, appears nowhere: not in
the graph (every property of every node and relationship), the API's answers (REST,
GraphQL, /metrics), the task results in Redis, the worker's log, or any error message --
including a failed authentication, where the worker did send it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from starlette.testclient import TestClient

from blueprint_engine.devices.lifecycle import Event
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from tests.integration.agents.helpers import cleanup, credential_set, recorded_facts
from tests.integration.agents.servers import rejecting_ssh_server
from tests.integration.api_calls import ADMIN, VIEWER, gql
from workers.agent_ops import AgentOps
from workers.device_ops import DeviceOps

pytestmark = pytest.mark.integration

RECORDING = "nxos-n9k-c9336c-recording"
SERIAL = str(recorded_facts(RECORDING)["serial_number"])

CONTAINS = """
WHERE any(k IN keys(x) WHERE
  (x[k] IS :: STRING AND x[k] CONTAINS $needle) OR
  (x[k] IS :: LIST<STRING NOT NULL> AND any(v IN x[k] WHERE v CONTAINS $needle)))
RETURN count(x) AS found
"""
IN_NODES = Query("test.secret_in_nodes", "MATCH (x)" + CONTAINS)
IN_RELATIONSHIPS = Query("test.secret_in_relationships", "MATCH ()-[x]->()" + CONTAINS)
AGENTS_AND_DEVICES = """
{ agents { name status reason detail credential options serial }
  devices { serial lastError configs { stage text } history { reason } } }
"""


@pytest.fixture
def names(graph: Graph) -> Iterator[list[str]]:
    made: list[str] = []
    cleanup(graph, [], [SERIAL])
    yield made
    cleanup(graph, made, [SERIAL])


def _worker_logs() -> list[Path]:
    logs = Path(os.environ.get("FG_STATE_DIR", ".state")) / "logs"
    found = sorted(logs.glob("worker*.log"))
    assert found, f"no worker log under {logs}"
    return found


def test_the_password_appears_nowhere(
    client: TestClient, graph: Graph, settings: Settings, names: list[str]
) -> None:
    canary = f"Canary-{uuid.uuid4().hex}"
    ops = AgentOps(graph, settings.celery_queue)
    with rejecting_ssh_server() as (port, seen), credential_set("admin", canary) as cred:
        agents = [
            {
                "name": f"t-ok-{canary[-8:]}",
                "address": "192.0.2.50",
                "platform": "nxos_ssh",
                "credential": cred,
                "options": {"recording": RECORDING},
            },
            {
                "name": f"t-denied-{canary[-8:]}",
                "address": "127.0.0.1",
                "platform": "nxos_ssh",
                "credential": cred,
                "options": {"port": port, "timeout": 10},
            },
        ]
        names += [str(a["name"]) for a in agents]
        rows = ops.create(agents, author="t", wait=90)
        # a push through the registered device's driver resolves the set again
        device_ops = DeviceOps(graph, redis.Redis.from_url(settings.redis_url))
        _, pushed = device_ops.event(SERIAL, Event.ACKNOWLEDGE, timeout=120)
    assert {r["name"]: (r["status"], r["reason"]) for r in rows} == {
        names[0]: ("registered", None),
        names[1]: ("unreachable", "auth_failed"),
    }
    assert pushed is not None and pushed["status"] == "succeeded", pushed
    assert canary in seen  # it was really used, so its absence below means something
    outputs = [
        str(rows),
        str(pushed),
        client.get("/api/agents").text,
        *(client.get(f"/api/agents/{n}").text for n in names),
        str(gql(client, AGENTS_AND_DEVICES, VIEWER)),
        client.get("/metrics", headers=ADMIN).text,
    ]
    for text in outputs:
        assert canary not in text
    assert graph.read(IN_NODES, needle=canary)[0]["found"] == 0
    assert graph.read(IN_RELATIONSHIPS, needle=canary)[0]["found"] == 0
    results = redis.Redis.from_url(settings.redis_url)
    keys = list(results.scan_iter("celery-task-meta-*", count=1000))
    assert keys and not any(canary.encode() in (results.get(k) or b"") for k in keys)
    for log in _worker_logs():
        assert canary not in log.read_text(errors="replace"), log
