"""Two API replicas behind one haproxy address (``deploy/replicas.sh``), on the real
Neo4j, Redis and Celery worker, without the lab:

      client ──► haproxy :front ──► replica A :a ─┐
                                 └► replica B :b ─┴─► Neo4j, Redis (pub/sub), worker

A subscription opened on A receives the anomalies of a collection round that a
mutation served by B asked for (the blueprint's devices point at network namespaces
that do not exist: each is unreachable, each raises "device unavailable"); REST and
GraphQL answer identically through A, B and the proxy; a catalogue entry created on B
is used by A at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import redis
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.model import Role
from blueprint_engine.design.reader import read_cabling
from blueprint_engine.devices.lifecycle import Event
from blueprint_engine.devices.registry import Devices
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from tests.integration.api_replicas import (
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
from tests.integration.pools.helpers import DROP_POOLS, pool_worker

pytestmark = pytest.mark.integration

DROP = Query(
    "test.replicas.drop",
    "MATCH (d:Device) WHERE d.serial STARTS WITH $prefix "
    "OPTIONAL MATCH (d)-[:HAS_CONFIG|HAS_DEPLOYMENT|HAD_EVENT]->(x) DETACH DELETE x, d",
)
DROP_ENTRY = Query("test.replicas.drop_entry", "MATCH (r:RackType {name: $name}) DETACH DELETE r")


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    front, a, b = free_ports(3)
    with api_replicas(front, a, b, tmp_path_factory.mktemp("replicas")) as started:
        yield started


@dataclass(frozen=True)
class Fabric:
    bp: str
    switches: list[str]


@pytest.fixture(scope="module")
def fabric(graph: Graph) -> Iterator[Fabric]:
    """A lab blueprint whose deployed devices cannot be reached, placed on a pool whose
    worker runs no beat: only an on-demand round collects them (never the periodic one)."""
    blueprints, devices = Blueprints(graph), Devices(graph)
    bp, prefix = f"t-rep-{uuid.uuid4().hex[:6]}", f"TREP{uuid.uuid4().hex[:6]}-"
    queue = f"t-unserved-{prefix.lower()}"[:-1]
    blueprints.create(bp, "lab")
    switches = [s.id for s in read_cabling(graph, bp).systems if s.role != Role.SERVER]
    try:
        for system in switches:
            serial = prefix + system
            args = {"transport": "netns", "netns": f"fg-absent-{uuid.uuid4().hex[:8]}"}
            devices.register(
                serial,
                hostname=system,
                profile="frr-vswitch-8x10",
                nos="linux_frr",
                driver="linuxfrr",
                driver_args=args,
                pristine="",
                worker_queue=queue,
            )
            devices.event(serial, Event.ACKNOWLEDGE)
            devices.event(serial, Event.ASSIGN, blueprint=bp, system=system)
            devices.event(serial, Event.DEPLOY)
        with pool_worker(queue):
            yield Fabric(bp, switches)
    finally:
        graph.write(DROP, prefix=prefix)
        graph.write(DROP_POOLS, names=[queue])
        blueprints.delete(bp)


# a loaded machine's worker may have other work queued first: the round is waited for long
COLLECT = """mutation($bp: String!) { collectTelemetry(blueprint: $bp, timeoutS: 240) {
  status unreachable anomaliesRaised } }"""


def test_a_subscription_on_one_replica_receives_anomalies_caused_through_the_other(
    replicas: Replicas, fabric: Fabric, settings: Settings
) -> None:
    r = redis.Redis.from_url(settings.redis_url)
    before = subscribers(r)
    url = f"ws://{replicas.a}/graphql"
    protocols = [Subprotocol("graphql-transport-ws")]
    with connect(url, subprotocols=protocols, open_timeout=30) as ws:
        subscribe_anomalies(ws, fabric.bp)
        wait_for_subscriber(r, before)
        served = gql(replicas.b, COLLECT, OPERATOR, bp=fabric.bp)
        assert "errors" not in served, served
        round_ = served["data"]["collectTelemetry"]
        assert round_["status"] == "collected"
        assert sorted(round_["unreachable"]) == sorted(fabric.switches)
        got: set[str] = set()
        while got != set(fabric.switches):
            event = next_anomaly(ws, fabric.bp, 60)
            if event["type"] == "device_unavailable":
                assert event["state"] == "raised"
                got.add(event["subject"])
        assert round_["anomaliesRaised"] >= len(fabric.switches)
    r.close()


READ = """query($bp: String!) { blueprint(name: $bp) { leafs spines servers linksCount
  systems(limit: 50) { id role asn loopback interfaces { name ipv4 link { id subnet } } }
  revisions { number message } } }"""


def test_rest_and_graphql_answer_identically_through_either_replica_and_the_proxy(
    replicas: Replicas, fabric: Fabric
) -> None:
    paths = [
        "/api/blueprints",
        f"/api/blueprints/{fabric.bp}/pools",
        f"/api/blueprints/{fabric.bp}/pools/ipv4-loopback/resources?limit=5",
        "/api/catalogue/rack_types",
        "/api/blueprints/t-rep-absent/pools",
    ]
    for path in paths:
        answers = [
            httpx.get(f"http://{where}{path}", timeout=30)
            for where in (replicas.a, replicas.b, replicas.front)
        ]
        assert len({a.status_code for a in answers}) == 1, path
        assert answers[0].json() == answers[1].json() == answers[2].json(), path
    read = [gql(where, READ, bp=fabric.bp) for where in (replicas.a, replicas.b, replicas.front)]
    assert "errors" not in read[0], read[0]
    assert read[0]["data"]["blueprint"]["leafs"] == 4
    assert read[0] == read[1] == read[2]
    # subscriptions through the proxy: the WebSocket is tunnelled to a replica
    protocols = [Subprotocol("graphql-transport-ws")]
    with connect(f"ws://{replicas.front}/graphql", subprotocols=protocols, open_timeout=30) as ws:
        subscribe_anomalies(ws, fabric.bp)


def test_a_catalogue_entry_created_on_one_replica_is_used_by_the_other(
    replicas: Replicas, fabric: Fabric, graph: Graph
) -> None:
    name = f"t-rep-rack-{uuid.uuid4().hex[:6]}"
    definition = {
        "name": name,
        "leafs": "single",
        "leaf": {"logical_device": "lab-leaf-8x10", "device_profile": "frr-vswitch-8x10"},
        "servers": {
            "count": 1,
            "logical_device": "lab-server-2x10",
            "homing": "single",
            "links_per_leaf": 1,
        },
        "uplinks_per_spine": 1,
    }
    try:
        made = httpx.post(
            f"http://{replicas.b}/api/catalogue/rack_types",
            json=definition,
            headers=OPERATOR,
            timeout=30,
        )
        assert made.status_code == 201, made.text
        seen = httpx.get(f"http://{replicas.a}/api/catalogue/rack_types/{name}", timeout=30)
        assert seen.status_code == 200 and seen.json()["source"] == "created"
        staged = gql(
            replicas.a,
            """mutation($bp: String!, $rt: String!) {
            addRack(blueprint: $bp, baseVersion: 0, rackType: $rt) { stagedVersion } }""",
            OPERATOR,
            bp=fabric.bp,
            rt=name,
        )
        assert staged["data"]["addRack"] == {"stagedVersion": 1}, staged
        diff = gql(
            replicas.b,
            "query($bp: String!) { blueprint(name: $bp, view: STAGED) { leafs } }",
            bp=fabric.bp,
        )
        assert diff["data"]["blueprint"]["leafs"] == 5
    finally:
        gql(
            replicas.b,
            "mutation($bp: String!) { discardStaged(blueprint: $bp, baseVersion: 1) }",
            OPERATOR,
            bp=fabric.bp,
        )
        graph.write(DROP_ENTRY, name=name)
