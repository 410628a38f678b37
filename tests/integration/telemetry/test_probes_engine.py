"""Probes on the real Neo4j and Redis: created with their scope checked read-only and
resolved, refused with the graph unchanged, evaluated on every ingest (raised with the
probe's name, cleared when the window moves on), joining a cut cable's root cause.

A ``lab`` blueprint whose six switches have devices deployed (lifecycle only)::

        spine1 ------------- spine2
        |   |  \\         /   |   |
      r1-l1 r2-l1 r3-l1   r3-l2

Observations are the collectors' reports of a healthy fabric (``fabric_state``) with
interface counters added; times run on a clock ahead of the wall clock, so windows
move without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from blueprint_engine.errors import ConflictError, FabricError, NotFoundError, ValidationError
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from telemetry.counters import with_rates
from telemetry.ingest import ingest
from telemetry.model import COUNTER_KEYS, RATE_KEYS, Observation
from telemetry.model import ObservationKind as K
from telemetry.probes import store
from telemetry.probes.evaluate import forget
from telemetry.probes.model import MAX_PROBES
from telemetry.probes.predefined import NAMES
from tests.integration.telemetry import fabric_state as fs

pytestmark = pytest.mark.integration

PROBE_NODES = Query(
    "test.probes.nodes",
    "MATCH (p:Probe {blueprint: $bp}) RETURN p.name AS name, p.predefined AS predefined",
)
PROBE_ANOMALIES = Query(
    "test.probes.anomalies",
    """
    MATCH (a:Anomaly {blueprint: $bp, type: 'probe'})-[:ON]->(n)
    RETURN a.probe AS probe, a.probe_type AS probe_type, a.severity AS severity,
           a.subject AS subject, a.device AS device, a.state AS state, n.id AS on,
           a.uid AS uid
    """,
)
CAUSE_OF = Query(
    "test.probes.cause_of",
    """
    MATCH (c:RootCause {state: 'open'})-[:EXPLAINS]->(a:Anomaly {uid: $uid})
    RETURN c.kind AS kind, c.subject AS subject
    """,
)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[redis.Redis]:
    r = redis.Redis.from_url(settings.redis_url)
    yield r
    r.close()


class Clock:
    def __init__(self) -> None:
        self.now = time.time() + 10

    def tick(self, seconds: float) -> float:
        self.now += seconds
        return self.now


@pytest.fixture(scope="module")
def fabric(graph: Graph, client: redis.Redis) -> Iterator[tuple[fs.Fabric, fs.Facts, Clock]]:
    with fs.deployed_fabric(graph) as fabric:
        facts = fs.healthy(fabric)
        clock = Clock()
        ingest(graph, client, fs.observations(fabric, facts, clock.now))
        yield fabric, facts, clock


def _leaf_uplink(f: fs.Fabric) -> tuple[str, str, str]:
    """(link, leaf interface, leaf) of rack1-leaf1's first uplink."""
    link = next(
        lk
        for lk in sorted(f.design.links, key=lambda lk: lk.id)
        if lk.role == "spine_leaf" and "rack1-leaf1" in (f.iface(lk.a).system, f.iface(lk.b).system)
    )
    end = link.a if f.iface(link.a).system == "rack1-leaf1" else link.b
    return link.id, end, "rack1-leaf1"


def _counters(bp: str, leaf: str, iface: str, errors: int, at: float) -> Observation:
    value: dict[str, Any] = {k: 0 for k in COUNTER_KEYS}
    value.update(rx_octets=int(at * 1000), rx_errors=errors, sampled_at=at, oper_up=True)
    value.update({k: None for k in RATE_KEYS})
    return Observation(bp, K.COUNTERS, leaf, iface, value, at)


def _ingest_counters(
    graph: Graph, client: redis.Redis, bp: str, leaf: str, iface: str, errors: int, at: float
) -> Any:
    observed = with_rates(graph, bp, [_counters(bp, leaf, iface, errors, at)])
    return ingest(graph, client, observed)


def _definition(name: str, scope_role: str = "leaf", **over: Any) -> dict[str, Any]:
    return {
        "name": name,
        "scope": (
            "MATCH (s:System {blueprint: $bp, role: '" + scope_role + "'})"
            "-[:HAS_INTERFACE]->(i:Interface)<-[:ENDPOINT]-(:Link {role: 'spine_leaf'}) "
            "RETURN i.id AS subject"
        ),
        "kind": "counters",
        "field": "errors_ps",
        "processors": [
            {"type": "max", "window_s": 10},
            {"type": "threshold", "op": "gt", "value": 5},
        ],
        "anomaly": {"type": "uplink_errors", "severity": "critical"},
        **over,
    }


def _probe_rows(graph: Graph, bp: str) -> list[dict[str, Any]]:
    return graph.read(PROBE_ANOMALIES, bp=bp)


def test_a_probe_is_created_with_its_scope_resolved_and_listed_after_the_predefined(
    graph: Graph, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    f, _, _ = fabric
    probe = store.create(graph, f.bp, _definition("leaf-uplinks"), "tester")
    leaf_uplinks = sorted(
        end
        for lk in f.design.links
        if lk.role == "spine_leaf"
        for end in (lk.a, lk.b)
        if f.role(f.iface(end).system).value == "leaf"
    )
    assert list(probe.subjects) == leaf_uplinks
    rows = store.list_probes(graph, f.bp)
    assert [r.probe.name for r in rows][:3] == sorted(
        NAMES, key=["interface-flapping", "bgp-prefixes-low", "interface-error-rate"].index
    )
    mine = next(r for r in rows if r.probe.name == "leaf-uplinks")
    assert mine.subjects == len(leaf_uplinks) and mine.created_by == "tester"
    with pytest.raises(ConflictError, match="leaf-uplinks"):
        store.create(graph, f.bp, _definition("leaf-uplinks"), "tester")
    store.delete(graph, f.bp, "leaf-uplinks")


@pytest.mark.parametrize(
    ("scope", "refusal"),
    [
        ("CREATE (n:Interface {id: 'x'}) RETURN n.id AS subject", "read-only"),
        ("LOAD CSV FROM 'http://127.0.0.1/x' AS l RETURN l[0] AS subject", "LOAD CSV"),
        ("CALL dbms.listConfig() YIELD name RETURN name AS subject", "procedure"),
        ("MATCH (i:Interface {blueprint: $bp}) RETURN i.id AS id", "not 'subject'"),
        ("MATCH (s:System {blueprint: $bp}) RETURN s.id AS subject", "not Interface ids"),
        ("RETURN reduce(a = 0, x IN range(1, 10) | a + x) AS subject", "reduce"),
        ("MATCH (i:Interface {blueprint: $bp} RETURN i.id AS subject", "refused the query"),
        ("UNWIND range(1, 10001) AS n RETURN toString(n) AS subject", "more than 10000"),
    ],
)
def test_a_scope_that_is_not_a_read_only_query_of_subjects_is_refused_graph_unchanged(
    graph: Graph, fabric: tuple[fs.Fabric, fs.Facts, Clock], scope: str, refusal: str
) -> None:
    f, _, _ = fabric
    before = graph.read(PROBE_NODES, bp=f.bp)
    with pytest.raises(FabricError, match=refusal) as caught:
        store.create(graph, f.bp, _definition("bad-scope", scope=scope), "tester")
    assert isinstance(caught.value, ValidationError) and caught.value.allowed
    assert graph.read(PROBE_NODES, bp=f.bp) == before


def test_bounds_and_unknown_names_are_refused_naming_what_is_allowed(
    graph: Graph, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    f, _, _ = fabric
    with pytest.raises(NotFoundError, match="no blueprint"):
        store.create(graph, "no-such-bp", _definition("x"), "tester")
    with pytest.raises(ConflictError, match="predefined"):
        store.delete(graph, f.bp, "interface-flapping")
    with pytest.raises(NotFoundError, match="no user probe named 'nope'"):
        store.delete(graph, f.bp, "nope")
    with pytest.raises(ConflictError, match="predefined"):
        store.create(graph, f.bp, _definition("interface-flapping"), "tester")
    for i in range(MAX_PROBES):
        store.create(graph, f.bp, _definition(f"many-{i:02d}"), "tester")
    before = graph.read(PROBE_NODES, bp=f.bp)
    with pytest.raises(ValidationError, match=f"has {MAX_PROBES} user probes") as caught:
        store.create(graph, f.bp, _definition("one-too-many"), "tester")
    assert str(MAX_PROBES) in caught.value.allowed
    assert graph.read(PROBE_NODES, bp=f.bp) == before
    for i in range(MAX_PROBES):
        store.delete(graph, f.bp, f"many-{i:02d}")


def test_a_user_probe_raises_on_errors_with_its_name_and_clears_when_they_stop(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    f, _, clock = fabric
    _, iface, leaf = _leaf_uplink(f)
    store.create(graph, f.bp, _definition("uplink-errors"), "tester")
    try:
        errors = 0
        _ingest_counters(graph, client, f.bp, leaf, iface, errors, clock.tick(2))
        for _ in range(3):  # 20 errors every 2 s: 10 per second
            errors += 20
            result = _ingest_counters(graph, client, f.bp, leaf, iface, errors, clock.tick(2))
        rows = [r for r in _probe_rows(graph, f.bp) if r["probe"] == "uplink-errors"]
        assert [(r["subject"], r["device"], r["on"], r["state"]) for r in rows] == [
            (iface, leaf, iface, "raised")
        ]
        assert rows[0]["probe_type"] == "uplink_errors" and rows[0]["severity"] == "critical"
        assert result.anomalies_raised == [] or all(
            a.get("probe") == "uplink-errors" for a in result.anomalies_raised
        )
        for _ in range(7):  # no new errors: the 10 s window moves past them
            _ingest_counters(graph, client, f.bp, leaf, iface, errors, clock.tick(2))
        rows = [r for r in _probe_rows(graph, f.bp) if r["probe"] == "uplink-errors"]
        assert [r["state"] for r in rows] == ["cleared"]
    finally:
        store.delete(graph, f.bp, "uplink-errors")


def test_a_probe_anomaly_on_a_cut_cable_joins_its_root_cause(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    f, facts, clock = fabric
    link, iface, leaf = _leaf_uplink(f)
    store.create(graph, f.bp, _definition("cut-errors"), "tester")
    try:
        errors = 0
        _ingest_counters(graph, client, f.bp, leaf, iface, errors, clock.tick(2))
        for _ in range(2):
            errors += 40
            _ingest_counters(graph, client, f.bp, leaf, iface, errors, clock.tick(2))
        uid = next(r["uid"] for r in _probe_rows(graph, f.bp) if r["probe"] == "cut-errors")
        cut = fs.cable_cut(f, facts, link)
        ingest(graph, client, fs.observations(f, fs.changed(facts, cut), clock.tick(1)))
        assert graph.read(CAUSE_OF, uid=uid) == [{"kind": "cable_cut", "subject": link}]
        ingest(graph, client, fs.observations(f, fs.changed(cut, facts), clock.tick(1)))
        assert graph.read(CAUSE_OF, uid=uid) == []  # the cable is back; errors stand alone
    finally:
        store.delete(graph, f.bp, "cut-errors")
        forget(graph, client, f.bp, "cut-errors", clock.tick(1))
    rows = [r for r in _probe_rows(graph, f.bp) if r["probe"] == "cut-errors"]
    assert [r["state"] for r in rows] == ["cleared"]  # a deleted probe's anomalies clear


def test_the_predefined_flapping_probe_raises_on_flaps_and_clears_after_a_quiet_minute(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    f, facts, clock = fabric
    _, iface, leaf = _leaf_uplink(f)
    up = {"oper_up": True, "admin_up": True}
    down = {"oper_up": False, "admin_up": True}
    for value in (down, up, down, up):
        ingest(graph, client, [Observation(f.bp, K.INTERFACE, leaf, iface, value, clock.tick(3))])
    rows = [r for r in _probe_rows(graph, f.bp) if r["probe"] == "interface-flapping"]
    assert [(r["subject"], r["state"], r["probe_type"]) for r in rows] == [
        (iface, "raised", "interface_flapping")
    ]
    # a minute without a change: the next ingest (of anything) clears it
    ingest(graph, client, fs.observations(f, facts, clock.tick(61)))
    rows = [r for r in _probe_rows(graph, f.bp) if r["probe"] == "interface-flapping"]
    assert [r["state"] for r in rows] == ["cleared"]


def test_the_predefined_prefix_probe_compares_with_its_default(
    graph: Graph, client: redis.Redis, fabric: tuple[fs.Fabric, fs.Facts, Clock]
) -> None:
    f, _, clock = fabric
    session = sorted(f.design.sessions, key=lambda s: s.id)[0]
    none = {"received": 0, "accepted": 0}
    some = {"received": 7, "accepted": 7}
    ingest(
        graph,
        client,
        [Observation(f.bp, K.BGP_PREFIXES, session.a, session.id, none, clock.tick(1))],
    )
    rows = [r for r in _probe_rows(graph, f.bp) if r["probe"] == "bgp-prefixes-low"]
    assert [(r["subject"], r["device"], r["state"]) for r in rows] == [
        (session.id, session.a, "raised")
    ]
    ingest(
        graph,
        client,
        [Observation(f.bp, K.BGP_PREFIXES, session.a, session.id, some, clock.tick(1))],
    )
    rows = [r for r in _probe_rows(graph, f.bp) if r["probe"] == "bgp-prefixes-low"]
    assert [r["state"] for r in rows] == ["cleared"]
