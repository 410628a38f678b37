"""The telemetry engine on the real Neo4j and Redis, one scenario per lab fault kind.

A ``lab`` blueprint whose six switches have devices registered, assigned and
deployed (lifecycle only, no lab needed)::

        spine1 ------------- spine2          every spine-leaf link carries one
        |   |  \\         /   |   |          eBGP session; rack3's two leafs
      r1-l1 r2-l1 r3-l1   r3-l2              share two dual-homed servers
        |     |      \\  X  /
      r1-s1 r2-s1   r3-s1 r3-s2

The collectors' reports are simulated from the blueprint's intent
(``fabric_state``), changed the way each fault of ``lab/faults.py`` changes
them; the anomalies and the root cause's symptom set the engine must produce are
derived from the design (links, sessions, transceivers), not from the engine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from blueprint_engine.design.model import LinkRole, Role
from blueprint_engine.devices.deviation import Verdict
from blueprint_engine.devices.lifecycle import DeviationStatus, Event
from blueprint_engine.errors import FabricError
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from telemetry import engine
from telemetry.ingest import BATCH, RetentionPolicy, ingest, prune
from telemetry.model import Observation
from telemetry.model import ObservationKind as K
from tests.integration.telemetry import fabric_state as fs

pytestmark = pytest.mark.integration

Anomaly = tuple[str, str, str]  # (type, subject, device)

RAISED = Query(
    "test.telemetry.raised",
    """
    MATCH (a:Anomaly {blueprint: $bp, state: 'raised'})
    RETURN a.type AS type, a.subject AS subject, a.device AS device,
           a.expected AS expected, a.suppressed AS suppressed
    """,
)
OPEN_CAUSES = Query(
    "test.telemetry.causes",
    """
    MATCH (c:RootCause {blueprint: $bp, state: 'open'})
    OPTIONAL MATCH (c)-[:EXPLAINS]->(a:Anomaly)
    OPTIONAL MATCH (c)-[:CAUSED_AT]->(n)
    RETURN c.kind AS kind, c.subject AS subject, c.evidence AS evidence,
           collect(DISTINCT [a.type, a.subject, a.device]) AS symptoms,
           collect(DISTINCT n.id) AS at
    """,
)
SAMPLES = Query(
    "test.telemetry.samples",
    "MATCH (o:Observation {uid: $uid})-[:HAD]->(s:Sample) RETURN count(s) AS n",
)
OBSERVATIONS = Query(
    "test.telemetry.observations",
    "MATCH (o:Observation {blueprint: $bp}) RETURN count(o) AS n",
)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[redis.Redis]:
    r = redis.Redis.from_url(settings.redis_url)
    yield r
    r.close()


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def tick(self, seconds: float = 1.0) -> float:
        self.now += seconds
        return self.now


@pytest.fixture(scope="module")
def fabric(graph: Graph, client: redis.Redis) -> Iterator[tuple[fs.Fabric, fs.Facts, Clock]]:
    with fs.deployed_fabric(graph) as fabric:
        facts = fs.healthy(fabric)
        clock = Clock()
        # the fabric has been up for an hour when the scenarios start
        result = ingest(graph, client, fs.observations(fabric, facts, clock.now - 3600))
        assert result.changed == len(facts) and result.anomalies_raised == []
        yield fabric, facts, clock


def raised(graph: Graph, bp: str, *, faults_only: bool = True) -> set[Anomaly]:
    rows = graph.read(RAISED, bp=bp)
    return {
        (r["type"], r["subject"], r["device"])
        for r in rows
        if not faults_only or not (r["expected"] or r["suppressed"])
    }


def open_causes(graph: Graph, bp: str) -> list[dict[str, Any]]:
    return graph.read(OPEN_CAUSES, bp=bp)


def apply(
    graph: Graph,
    client: redis.Redis,
    fabric: fs.Fabric,
    before: fs.Facts,
    after: fs.Facts,
    clock: Clock,
) -> Any:
    """Report what changed, the way collectors do (only the facts that differ)."""
    return ingest(graph, client, fs.observations(fabric, fs.changed(before, after), clock.tick()))


def check_fault(
    graph: Graph,
    client: redis.Redis,
    fab: tuple[fs.Fabric, fs.Facts, Clock],
    faulty: fs.Facts,
    expected: set[Anomaly],
    kind: str,
    subject: str,
) -> None:
    """The expected anomalies and exactly one root cause explaining all of them; then
    everything clears when the healthy facts come back."""
    fabric, healthy, clock = fab
    assert raised(graph, fabric.bp) == set()
    apply(graph, client, fabric, healthy, faulty, clock)
    assert raised(graph, fabric.bp) == expected
    [cause] = open_causes(graph, fabric.bp)
    assert (cause["kind"], cause["subject"]) == (kind, subject)
    assert {tuple(s) for s in cause["symptoms"]} == expected
    apply(graph, client, fabric, faulty, healthy, clock)
    assert raised(graph, fabric.bp) == set()
    assert open_causes(graph, fabric.bp) == []
    clock.tick(120.0)  # the repaired fabric settles before the next scenario


# -- what the topology implies ----------------------------------------------------------------


def link_down(fabric: fs.Fabric, link_id: str) -> set[Anomaly]:
    """Both switch ends down; each session over it down at both ends, routes gone."""
    link = fabric.link(link_id)
    found = {
        ("interface_down", end, fabric.iface(end).system)
        for end in (link.a, link.b)
        if fabric.role(fabric.iface(end).system) != Role.SERVER
    }
    for s in fabric.sessions_over(link_id):
        found |= session_down(s)
    return found


def session_down(s: Any, ends: tuple[str, ...] | None = None) -> set[Anomaly]:
    found = set()
    for me, peer in ((s.a, s.b), (s.b, s.a)):
        if ends is None or me in ends:
            found |= {("bgp_session_down", s.id, me), ("route_missing", peer, me)}
    return found


def spine_leaf_links(fabric: fs.Fabric) -> list[Any]:
    return [lk for lk in fabric.design.links if lk.role == LinkRole.SPINE_LEAF]


# -- one scenario per fault kind ----------------------------------------------------------------


def test_a_healthy_fabric_raises_nothing_over_several_cycles(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    fab, healthy, clock = fabric
    for _ in range(3):
        result = ingest(graph, client, fs.observations(fab, healthy, clock.tick(2.0)))
        assert result.observations == len(healthy)
        assert result.changed == 0 and result.anomalies_raised == []
    swept = engine.reevaluate(graph, client, fab.bp, now=clock.tick(60.0))
    assert swept.raised == [] and raised(graph, fab.bp, faults_only=False) == set()


def test_transceiver_failure_is_one_cause_over_its_link_sessions_and_routes(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    fab, healthy, _ = fabric
    link = spine_leaf_links(fab)[0]
    port = link.a
    xcvr = fab.transceiver_of(port)
    assert xcvr is not None
    expected = link_down(fab, link.id) | {("transceiver_fault", xcvr, fab.iface(port).system)}
    check_fault(
        graph,
        client,
        fabric,
        fs.transceiver_fail(fab, healthy, port),
        expected,
        "transceiver_fault",
        xcvr,
    )


def test_a_cut_cable_is_one_cause_over_both_ends(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    fab, healthy, _ = fabric
    link = spine_leaf_links(fab)[-1]
    check_fault(
        graph,
        client,
        fabric,
        fs.cable_cut(fab, healthy, link.id),
        link_down(fab, link.id),
        "cable_cut",
        link.id,
    )


def test_swapped_cables_are_one_cabling_mistake(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    fab, healthy, _clock = fabric
    spine = "spine1"
    l1, l2 = [lk for lk in spine_leaf_links(fab) if fab.iface(lk.a).system == spine][:2]
    expected = {("cabling", end, fab.iface(end).system) for end in (l1.a, l1.b, l2.a, l2.b)}
    for s in fab.sessions_over(l1.id) + fab.sessions_over(l2.id):
        expected |= session_down(s)
    faulty = fs.swap_cables(fab, healthy, l1.id, l2.id)
    check_fault(graph, client, fabric, faulty, expected, "cabling_mistake", min(l1.id, l2.id))


def test_an_offline_device_explains_what_its_peers_lost(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    fab, healthy, _ = fabric
    dev = "spine2"
    expected = {("device_unavailable", dev, dev)}
    for s in fab.sessions_of(dev):
        peer = s.b if s.a == dev else s.a
        expected |= session_down(s, ends=(peer,))
    for lk in fab.links_of(dev):
        for end in (lk.a, lk.b):
            if fab.iface(end).system != dev:  # the peer's port is up and hears nobody
                expected.add(("cabling", end, fab.iface(end).system))
    # the peers' ports have been up for an hour: their silence is not a fresh link-up
    check_fault(
        graph, client, fabric, fs.device_offline(fab, healthy, dev), expected, "device_offline", dev
    )


@pytest.mark.parametrize("server", ["rack3-server1", "rack1-server1"])
def test_a_server_down_is_its_leaf_ports_down(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock], server: str
) -> None:
    fab, healthy, _ = fabric
    expected = {
        ("interface_down", end, fab.iface(end).system)
        for lk in fab.links_of(server)
        for end in (lk.a, lk.b)
        if fab.iface(end).system != server
    }
    assert len(expected) == len(fab.links_of(server)) >= 1
    check_fault(
        graph, client, fabric, fs.server_down(fab, healthy, server), expected, "server_down", server
    )


def test_an_out_of_band_change_that_shuts_a_neighbour(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    fab, healthy, _ = fabric
    leaf = "rack2-leaf1"
    session = fab.sessions_of(leaf)[0]
    faulty = fs.oob_change(fab, healthy, leaf)
    fs._session_down(fab, faulty, session)  # "neighbor ... shutdown" typed on the box
    expected = {("config_deviation", leaf, leaf)} | session_down(session)
    check_fault(graph, client, fabric, faulty, expected, "oob_change", leaf)


def test_a_failed_deployment_is_its_own_cause(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    _fab, healthy, _ = fabric
    leaf = "rack3-leaf2"
    faulty = dict(healthy)
    faulty[("config", leaf, leaf)] = {"deviated": True, "last_deploy": "failed"}
    expected = {("config_deviation", leaf, leaf), ("deployment_failure", leaf, leaf)}
    check_fault(graph, client, fabric, faulty, expected, "deployment_failure", leaf)


def test_servers_that_lose_a_path_are_in_the_evidence(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    fab, healthy, clock = fabric
    link = next(lk for lk in spine_leaf_links(fab) if fab.iface(lk.b).system == "rack3-leaf1")
    faulty = fs.cable_cut(fab, healthy, link.id)
    apply(graph, client, fab, healthy, faulty, clock)
    try:
        [cause] = open_causes(graph, fab.bp)
        impacted = {i["server"]: i for i in json.loads(cause["evidence"])["impacted_servers"]}
        behind = {
            fab.iface(end).system
            for lk in fab.links_of("rack3-leaf1")
            for end in (lk.a, lk.b)
            if fab.role(fab.iface(end).system) == Role.SERVER
        }
        assert set(impacted) == behind
        for server in behind:  # dual-homed: 2 leafs x 2 spines, one path lost
            assert (impacted[server]["paths"], impacted[server]["lost"]) == (4, 1)
            assert impacted[server]["status"] == "redundancy_lost"
    finally:
        apply(graph, client, fab, faulty, healthy, clock)
    assert raised(graph, fab.bp) == set()


# -- drain, accepted deviation --------------------------------------------------------------


def test_a_drain_marks_bgp_and_route_anomalies_expected(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    fab, healthy, clock = fabric
    leaf = "rack1-leaf1"
    serial = fab.serials[leaf]
    fab.devices.event(serial, Event.DRAIN)
    engine.reevaluate(graph, client, fab.bp, systems=[leaf], now=clock.tick())
    faulty = dict(healthy)
    for s in fab.sessions_of(leaf):
        fs._session_down(fab, faulty, s)
    try:
        apply(graph, client, fab, healthy, faulty, clock)
        expected = set().union(*(session_down(s) for s in fab.sessions_of(leaf)))
        assert raised(graph, fab.bp, faults_only=False) == expected
        assert raised(graph, fab.bp) == set()  # all of them expected
        assert open_causes(graph, fab.bp) == []
    finally:
        apply(graph, client, fab, faulty, healthy, clock)
        fab.devices.event(serial, Event.DEPLOY)
    assert raised(graph, fab.bp, faults_only=False) == set()


def test_an_accepted_deviation_stays_suppressed(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    fab, healthy, clock = fabric
    leaf = "rack2-leaf1"
    accepted = Verdict(DeviationStatus.ACCEPTED, "changes accepted", "")
    fab.devices.deviation_judged(fab.serials[leaf], accepted)
    faulty = fs.oob_change(fab, healthy, leaf)
    try:
        apply(graph, client, fab, healthy, faulty, clock)
        rows = graph.read(RAISED, bp=fab.bp)
        assert [(r["type"], r["subject"], r["suppressed"]) for r in rows] == [
            ("config_deviation", leaf, True)
        ]
        assert open_causes(graph, fab.bp) == []
    finally:
        none = Verdict(DeviationStatus.NONE, "running config equals golden", "")
        fab.devices.deviation_judged(fab.serials[leaf], none)
        apply(graph, client, fab, faulty, healthy, clock)
    assert raised(graph, fab.bp, faults_only=False) == set()


# -- ingestion ------------------------------------------------------------------------------


def test_bad_observations_are_refused_and_leave_the_graph_unchanged(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    fab, healthy, clock = fabric
    before = graph.read(OBSERVATIONS, bp=fab.bp)[0]["n"]
    good = fs.observations(fab, healthy, clock.tick())[:3]
    bad = Observation(
        fab.bp,
        K.INTERFACE,
        "spine1",
        "spine1:swp99",
        {"oper_up": False, "admin_up": True},
        clock.now,
    )
    with pytest.raises(FabricError) as err:
        ingest(graph, client, [*good, bad])
    assert "spine1:swp99" in str(err.value)
    with pytest.raises(FabricError) as err:
        ingest(
            graph,
            client,
            [
                Observation(
                    fab.bp,
                    K.BGP,
                    "rack1-server1",
                    "x",
                    {"established": True, "state": None},
                    1.0,
                )
            ],
        )
    assert "rack1-server1" in str(err.value)
    assert graph.read(OBSERVATIONS, bp=fab.bp)[0]["n"] == before


def test_history_is_bounded_per_observation(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    fab, _healthy, clock = fabric
    key = ("interface", "rack2-leaf1", "rack2-leaf1:swp3")
    policy = RetentionPolicy(max_samples=4)
    states = [{"oper_up": up, "admin_up": True} for up in [False, True] * 4]
    for value in states:
        facts = {key: value}
        ingest(graph, client, fs.observations(fab, facts, clock.tick()), policy=policy)
    uid = f"{fab.bp}/interface/rack2-leaf1/rack2-leaf1:swp3"
    assert graph.read(SAMPLES, uid=uid)[0]["n"] == 4
    assert raised(graph, fab.bp) == set()  # the last state is up again


def test_one_telemetry_event_per_batch(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    fab, healthy, clock = fabric
    # redis-py: Redis.pubsub is unannotated
    pubsub = client.pubsub()  # type: ignore[no-untyped-call]
    pubsub.subscribe("fabricgraph.events.telemetry")
    pubsub.get_message(timeout=1.0)  # the subscription confirmation
    rounds = BATCH // len(healthy) + 1  # more than one batch's worth of observations
    many = [o for i in range(rounds) for o in fs.observations(fab, healthy, clock.tick())]
    ingest(graph, client, many)
    events = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.5)
        if message and message["type"] == "message":
            payload = json.loads(message["data"])
            if payload["blueprint"] == fab.bp:
                events.append(payload)
        elif events and message is None:
            break
    pubsub.close()
    assert len(events) == -(-len(many) // BATCH) == 2
    assert sum(e["observations"] for e in events) == len(many)


def test_history_and_cleared_anomalies_older_than_the_policy_are_pruned(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    fab, healthy, clock = fabric
    count = Query(
        "test.telemetry.aged",
        "MATCH (n) WHERE n.blueprint = $bp AND (n:Sample OR (n:Anomaly AND n.state = 'cleared')"
        " OR (n:RootCause AND n.state = 'cleared')) RETURN count(n) AS n",
    )
    assert graph.read(count, bp=fab.bp)[0]["n"] > 0  # the scenarios above left history
    policy = RetentionPolicy(max_age_s=3600.0)
    # an hour after the last observation nothing of it is older than the policy...
    prune(graph, fab.bp, policy, now=clock.now + 60)
    kept = graph.read(count, bp=fab.bp)[0]["n"]
    assert kept > 0
    # ...a day later every sample, cleared anomaly and cleared root cause is
    prune(graph, fab.bp, policy, now=time.time() + 86400 + (clock.now - time.time()))
    assert graph.read(count, bp=fab.bp)[0]["n"] == 0
    assert raised(graph, fab.bp, faults_only=False) == set()
    # the latest values stay on the observations themselves
    assert graph.read(OBSERVATIONS, bp=fab.bp)[0]["n"] == len(healthy)
