"""Two worker pools and two API replicas together on the lab, in one run:

    client ──► replica A (subscription)    replica B (stages and commits)
                       └──── Neo4j, Redis pub/sub ────┘
    pool A (this checkout's worker + beat)     pool B (worker@<queue> + beat@<queue>)
      spine1, rack2-leaf1, rack3-leaf*           rack1-leaf1, spine2

- a commit served by replica B touching spine1 (A) and rack1-leaf1 (B): one push each,
  by its own pool (every deployment in the history names the pool's queue);
- a commit served by replica B that rack1-leaf1 refuses (a virtual network the
  Linux/FRR driver cannot deploy): the subscription opened on replica A receives the
  ``deployment_failure`` anomaly; the intent goes back and one confirmed full push
  repairs the leaf;
- every worker of pool B killed (``kill -9``): ``pool_down`` raised within a sweep, B's
  switches no longer collected while pool A's still are; pool B restarted: cleared,
  converged, and nothing pushed again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from labharness.rollout import lab_serial
from tests.integration.api_replicas import (
    ADMIN,
    OPERATOR,
    Replicas,
    api_replicas,
    free_ports,
    gql,
    next_anomaly,
    subscribe_anomalies,
    subscribers,
    wait_for_subscriber,
)
from tests.integration.chaos import stack
from tests.integration.chaos.stack import ENDS, LINK, SPEEDS, Fabric
from tests.integration.lab.helpers import deployed_lab
from tests.integration.pools.helpers import made_pools, services, wait_for

pytestmark = [pytest.mark.lab, pytest.mark.integration]

ON_B = ("rack1-leaf1", "spine2")
REFUSING = "rack1-leaf1"  # its driver refuses the bridges/SVIs of a virtual network
PUSHES = Query(
    "test.lab_pools.pushes",
    """
    MATCH (d:Device) WHERE d.serial IN $serials
    OPTIONAL MATCH (d)-[:HAS_DEPLOYMENT]->(x:Deployment)
    WITH d, x ORDER BY x.at
    RETURN d.serial AS serial, collect(x.by) AS by, collect(x.status) AS status,
           count(x) AS n, d.liveness AS liveness, d.last_collected_at AS collected_at
    """,
)
ANOMALY = Query(
    "test.lab_pools.anomaly",
    "OPTIONAL MATCH (a:Anomaly {uid: $uid}) RETURN a.state AS state, a.actual_value AS actual",
)
SET_PROPERTY = """mutation($bp: String!, $v: Int!, $kind: String!, $id: String!, $value: JSON!) {
  setProperty(blueprint: $bp, baseVersion: $v, kind: $kind, id: $id, key: "speed_mbps",
              value: $value) { stagedVersion } }"""
ADD_NETWORK = """mutation($bp: String!, $v: Int!, $name: String!, $racks: [String!]!) {
  addVirtualNetwork(blueprint: $bp, baseVersion: $v, name: $name, racks: $racks) {
  stagedVersion } }"""
REMOVE_NETWORK = """mutation($bp: String!, $v: Int!, $name: String!) {
  removeVirtualNetwork(blueprint: $bp, baseVersion: $v, name: $name) { stagedVersion } }"""
COMMIT = """mutation($bp: String!, $v: Int!) {
  commit(blueprint: $bp, baseVersion: $v, message: "two pools, two replicas") { number } }"""
MOVE = "mutation($s: String!, $p: String!) { moveDevice(serial: $s, pool: $p) { pool } }"
FULL_PUSH = (
    """mutation($serial: String!) { fullPush(serial: $serial, confirm: true, wait: true) }"""
)

Pushes = dict[str, dict[str, Any]]


def _pushes(graph: Graph, serials: list[str]) -> Pushes:
    return {r["serial"]: dict(r) for r in graph.read(PUSHES, serials=serials)}


def _grew(before: Pushes, after: Pushes) -> dict[str, int]:
    return {s: after[s]["n"] - before[s]["n"] for s in after}


def _anomaly_state(graph: Graph, uid: str) -> Callable[[], str | None]:
    return lambda: graph.read(ANOMALY, uid=uid)[0]["state"]


def _collected_after(graph: Graph, serial: str, seen: dict[str, Any]) -> None:
    """Until ``serial`` is collected again after ``seen`` (bounded 60 s)."""
    wait_for(
        lambda: _pushes(graph, [serial])[serial]["collected_at"] > seen["collected_at"],
        60,
        f"{serial} collected again by its pool",
    )


def _served(replica: str, query: str, headers: dict[str, str], **variables: Any) -> Any:
    answer = gql(replica, query, headers, **variables)
    assert "errors" not in answer, answer
    return answer["data"]


def _commit_through(replica: str, f: Fabric, edits: list[tuple[str, dict[str, Any]]]) -> int:
    """Stage ``edits`` (mutation, variables) and commit them, every request served by
    ``replica``; the revision's number."""
    version = f.blueprints.staging.version(f.bp)
    for mutation, variables in edits:
        data = _served(replica, mutation, OPERATOR, bp=f.bp, v=version, **variables)
        [staged] = data.values()
        version = int(staged["stagedVersion"])
    return int(_served(replica, COMMIT, OPERATOR, bp=f.bp, v=version)["commit"]["number"])


def _speed_edits(f: Fabric) -> list[tuple[str, dict[str, Any]]]:
    """The other speed on ``LINK`` (its two ends and the link: spine1 and rack1-leaf1)."""
    speed = SPEEDS[1] if stack.link_speed(f.graph, f.bp) == SPEEDS[0] else SPEEDS[0]
    targets = [("Interface", end) for end in ENDS] + [("Link", LINK)]
    return [(SET_PROPERTY, {"kind": k, "id": i, "value": speed}) for k, i in targets]


def _three_ports() -> tuple[int, int, int]:
    """haproxy's and the two replicas' ports: free ones, not this checkout's API port
    (another test's API may hold it)."""
    front, a, b = free_ports(3)
    return front, a, b


def _fault_seen_across_replicas(
    replicas: Replicas, f: Fabric, settings: Settings, network: str
) -> dict[str, Any]:
    """A subscription on replica A; replica B serves the commit of ``network`` on
    REFUSING's rack; the ``deployment_failure`` event A receives."""
    r = redis.Redis.from_url(settings.redis_url)
    protocols = [Subprotocol("graphql-transport-ws")]
    try:
        before = subscribers(r)
        with connect(f"ws://{replicas.a}/graphql", subprotocols=protocols, open_timeout=30) as ws:
            subscribe_anomalies(ws, f.bp)
            wait_for_subscriber(r, before)
            edit = (ADD_NETWORK, {"name": network, "racks": [REFUSING.split("-")[0]]})
            _commit_through(replicas.b, f, [edit])
            deadline = time.monotonic() + stack.CONVERGE_TIMEOUT_S
            while time.monotonic() < deadline:
                event = next_anomaly(ws, f.bp, max(1.0, deadline - time.monotonic()))
                if (event["type"], event["state"]) == ("deployment_failure", "raised"):
                    return event
            raise AssertionError("no deployment_failure event on replica A's subscription")
    finally:
        r.close()


@pytest.mark.timeout(1500)  # a deployed lab, three convergences and a pool restart
def test_two_pools_and_two_api_replicas_on_the_lab_each_switch_served_by_one_pool(
    graph: Graph, settings: Settings, tmp_path: Path
) -> None:
    with (
        deployed_lab(graph, "t-pools") as (blueprints, _, bp),
        api_replicas(*_three_ports(), tmp_path) as replicas,
    ):
        f = Fabric(blueprints, bp, settings)
        serials = f.serials
        on_b = [lab_serial(s) for s in ON_B]
        with made_pools(graph, "labb") as made:
            [pool_b] = made
            queue_b = made[pool_b]
            queue_of = {s: queue_b if s in on_b else settings.celery_queue for s in serials}
            services("start", f"worker@{queue_b}", f"beat@{queue_b}")
            try:
                for serial in on_b:  # an operator action, served by replica A
                    assert _served(replicas.a, MOVE, OPERATOR, s=serial, p=pool_b)
                start = _pushes(graph, serials)

                # a commit served by replica B: one push per touched switch, by its pool
                _commit_through(replicas.b, f, _speed_edits(f))
                stack.converge(f, "two pools: a commit touching a switch of each", time.monotonic())
                after = _pushes(graph, serials)
                touched = {lab_serial("spine1"), lab_serial("rack1-leaf1")}
                assert _grew(start, after) == {s: int(s in touched) for s in serials}

                # a fault a commit served by B causes, received on A's subscription
                event = _fault_seen_across_replicas(replicas, f, settings, "vn-fail")
                assert event["device"] == REFUSING
                refusing = lab_serial(REFUSING)
                failed = _pushes(graph, serials)
                assert _grew(after, failed) == {s: int(s == refusing) for s in serials}
                assert failed[refusing]["status"][-1] == "failed"
                edit = (REMOVE_NETWORK, {"name": "vn-fail"})
                _commit_through(replicas.b, f, [edit])
                pushed = _served(replicas.b, FULL_PUSH, ADMIN, serial=refusing)["fullPush"]
                assert pushed["status"] == "succeeded", pushed
                stack.converge(f, "two pools: the refused network removed", time.monotonic())
                settled = _pushes(graph, serials)
                assert _grew(failed, settled) == {s: int(s == refusing) for s in serials}
                # every push of the run came from the pool the switch is placed on
                for s in serials:
                    assert set(settled[s]["by"][start[s]["n"] :]) <= {queue_of[s]}, s

                # every worker of pool B killed: the other pool's check raises pool_down
                stack.kill9(f"worker-{queue_b}")
                uid = f"{bp}/pool_down/{pool_b}"
                wait_for(
                    lambda: _anomaly_state(graph, uid)() == "raised",
                    2 * settings.pool_check_interval_s + 20,
                    "pool_down raised within a sweep",
                )
                down = _pushes(graph, serials)
                spine1 = lab_serial("spine1")
                for _ in range(2):  # two more rounds of pool A
                    _collected_after(graph, spine1, _pushes(graph, [spine1])[spine1])
                later = _pushes(graph, serials)
                assert {s: later[s]["collected_at"] for s in on_b} == {
                    s: down[s]["collected_at"] for s in on_b
                }, "pool B's switches are collected by nobody else"
                assert {s: later[s]["liveness"] for s in on_b} == dict.fromkeys(on_b, "unknown")
                assert {later[s]["liveness"] for s in serials if s not in on_b} == {"connected"}

                # pool B back: cleared, converged, and nothing pushed again
                services("start", f"worker@{queue_b}")
                wait_for(
                    lambda: _anomaly_state(graph, uid)() == "cleared",
                    2 * settings.pool_check_interval_s + 20,
                    "pool_down cleared when pool B answers again",
                )
                stack.converge(f, "pool B restarted", time.monotonic())
                again = _pushes(graph, serials)
                assert _grew(settled, again) == dict.fromkeys(serials, 0)
            finally:
                services("stop", f"worker@{queue_b}", f"beat@{queue_b}")
