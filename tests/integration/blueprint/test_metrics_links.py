"""The scrape's link states on real Neo4j: a link is up when an interface, lldp or optics
observation is on one of its ends and no raised anomaly puts it down; counters alone do
not make it seen. The same counts whether the blueprint has per-link series or not."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from api import fabric_metrics as fm
from api.metrics import VOCABULARY
from blueprint_engine.graph.db import Graph, Query

pytestmark = pytest.mark.integration

SPINE_LEAF = Query(
    "test.metrics_spine_leaf",
    """
    MATCH (l:Link {blueprint: $bp, role: 'spine_leaf'})-[:ENDPOINT {side: 'a'}]->(i:Interface)
    RETURN l.id AS link, i.uid AS interface,
           [(i)-[:HAS_TRANSCEIVER]->(x:Transceiver) | x.uid][0] AS transceiver
    ORDER BY link
    """,
)
OBSERVE = Query(
    "test.metrics_observe",
    """
    MATCH (x {uid: $subject})
    CREATE (:Observation {uid: $bp + '/test/' + $kind + '/' + $subject, blueprint: $bp,
            kind: $kind, observer: 'x', subject: $subject, value: '{}', observed_at: $at,
            changed_at: $at})-[:OBSERVES]->(x)
    WITH 1 AS one
    MERGE (d:ObservationDigest {uid: $bp + '/x'})
    ON CREATE SET d.blueprint = $bp, d.observer = 'x', d.kinds = [], d.counts = [],
                  d.newest_ms = []
    SET d.kinds = d.kinds + $kind, d.counts = d.counts + 1,
        d.newest_ms = d.newest_ms + toInteger($at * 1000)
    """,
)
"""One observation of a kind not yet observed by ``x``, with the count ingest keeps on
the observer's digest (which the scrape reads)."""
RAISE = Query(
    "test.metrics_raise",
    """
    MATCH (i:Interface {uid: $subject})
    CREATE (:Anomaly {uid: $bp + '/test/interface_down', blueprint: $bp, type: 'interface_down',
            subject: i.id, device: 'x', state: 'raised', expected: false, suppressed: false,
            first_seen: $at, last_seen: $at})-[:ON]->(i)
    """,
)


def _links(graph: Graph, bp: str) -> tuple[dict[str, float], dict[str, float]]:
    facts = fm.read_graph_facts(graph, time.time(), VOCABULARY)
    states = {
        s.labels["state"]: s.value
        for s in facts.samples
        if s.name == "links" and s.labels["blueprint"] == bp and s.labels["role"] == "spine_leaf"
    }
    up = {
        s.labels["link"]: s.value
        for s in facts.samples
        if s.name == "link_up" and s.labels["blueprint"] == bp
    }
    return states, up


def test_links_are_up_down_or_unknown_from_their_ends_observations(
    graph: Graph, make_blueprint: Callable[[str], str], monkeypatch: Any
) -> None:
    bp = make_blueprint("lab")
    links = graph.read(SPINE_LEAF, bp=bp)
    assert len(links) == 8  # 2 spines x 4 leafs
    down, seen, counted = links[0], links[1], links[2]
    at = time.time()
    graph.write(OBSERVE, bp=bp, kind="interface", subject=down["interface"], at=at)
    graph.write(OBSERVE, bp=bp, kind="optics", subject=seen["transceiver"], at=at)
    graph.write(OBSERVE, bp=bp, kind="counters", subject=counted["interface"], at=at)
    graph.write(RAISE, bp=bp, subject=down["interface"], at=at)

    states, up = _links(graph, bp)
    assert states == {"down": 1, "up": 1, "unknown": 6}
    assert up == {down["link"]: 0.0, seen["link"]: 1.0}

    # a blueprint too large for per-link series: the same counts, no per-link series
    monkeypatch.setattr(fm, "ELEMENT_SERIES_MAX_SWITCHES", 0)
    states, up = _links(graph, bp)
    assert states == {"down": 1, "up": 1, "unknown": 6}
    assert up == {}
