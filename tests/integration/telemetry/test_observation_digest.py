"""Observation digests on the real Neo4j and Redis: a repeated round costs one read per
observer and writes nothing, every other round is triaged fact by fact as before, and
the observation counts ingest keeps are what counting the observations gives; a
process's counters rates come from what it sent where the digests vouch for it.

A ``lab`` blueprint whose six switches have devices registered, assigned and deployed
(lifecycle only, no lab needed)::

        spine1 ------------- spine2
        |   |  \\         /   |   |
      r1-l1 r2-l1 r3-l1   r3-l2
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from api import fabric_metrics as fm
from api.metrics import VOCABULARY
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from telemetry.counters import Sent, with_rates
from telemetry.ingest import RetentionPolicy, ingest
from telemetry.model import COUNTER_KEYS, RATE_KEYS, Observation
from telemetry.model import ObservationKind as K
from tests.integration.telemetry import fabric_state as fs

pytestmark = pytest.mark.integration

STORED = Query(
    "test.digest.stored",
    """
    MATCH (o:Observation {blueprint: $bp})
    RETURN o.kind AS kind, o.observer AS observer, o.subject AS subject, o.value AS value,
           o.observed_at.epochMillis AS at
    """,
)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[redis.Redis]:
    r = redis.Redis.from_url(settings.redis_url)
    yield r
    r.close()


def _stored(graph: Graph, bp: str) -> dict[tuple[str, str, str], tuple[str, int]]:
    return {
        (r["kind"], r["observer"], r["subject"]): (r["value"], r["at"])
        for r in graph.read(STORED, bp=bp)
    }


def _scraped_counts(graph: Graph, bp: str) -> dict[str, float]:
    facts = fm.read_graph_facts(graph, time.time(), VOCABULARY)
    return {
        s.labels["kind"]: s.value
        for s in facts.samples
        if s.name == "observations" and s.labels["blueprint"] == bp
    }


def _triaged(graph: Graph) -> int:
    return graph.stats.calls.get("telemetry.triage", 0)


def test_repeated_rounds_are_settled_by_the_digest_and_every_change_still_lands(
    graph: Graph, client: redis.Redis
) -> None:
    policy = RetentionPolicy(refresh_s=30.0)
    with fs.deployed_fabric(graph) as fabric:
        facts = fs.healthy(fabric)
        at = time.time() - 600
        first = ingest(graph, client, fs.observations(fabric, facts, at), policy=policy)
        assert first.changed == len(facts)
        held = _stored(graph, fabric.bp)
        assert len(held) == len(facts)
        by_kind = Counter(kind for kind, _, _ in facts)
        assert _scraped_counts(graph, fabric.bp) == {k: float(n) for k, n in by_kind.items()}

        # the same round 2 s later: nothing changed, nothing due, no fact-by-fact read
        before = _triaged(graph)
        again = ingest(graph, client, fs.observations(fabric, facts, at + 2), policy=policy)
        assert again.changed == 0 and again.anomalies_raised == []
        assert _triaged(graph) == before
        assert _stored(graph, fabric.bp) == held

        # one port down in a full round: exactly its change, and the stored value moves
        key = next(k for k in sorted(facts) if k[0] == "interface")
        down = {**facts, key: {"oper_up": False, "admin_up": True}}
        flap = ingest(graph, client, fs.observations(fabric, down, at + 4), policy=policy)
        assert [(c.kind.value, c.observer, c.subject) for c in flap.changes] == [key]
        assert _stored(graph, fabric.bp)[key][1] == int((at + 4) * 1000)

        # a late report of the old value (older than the stored one) is ignored ...
        late = ingest(graph, client, fs.observations(fabric, facts, at + 3), policy=policy)
        assert late.changed == 0
        assert '"oper_up":false' in _stored(graph, fabric.bp)[key][0]
        # ... and does not make the next report of that old value look settled
        back = ingest(graph, client, fs.observations(fabric, facts, at + 6), policy=policy)
        assert [(c.kind.value, c.observer, c.subject) for c in back.changes] == [key]

        # past the refresh interval every unchanged fact gets its observed_at refreshed
        ingest(graph, client, fs.observations(fabric, facts, at + 40), policy=policy)
        refreshed = _stored(graph, fabric.bp)
        assert {a for _, a in refreshed.values()} == {int((at + 40) * 1000)}

        # a subset of one observer's facts is triaged fact by fact too; counts unchanged
        subset = dict(sorted(facts.items())[:3])
        part = ingest(graph, client, fs.observations(fabric, subset, at + 42), policy=policy)
        assert part.changed == 0
        assert _scraped_counts(graph, fabric.bp) == {k: float(n) for k, n in by_kind.items()}


def _counters(bp: str, ports: list[tuple[str, str]], n: int, at: float) -> list[Observation]:
    out = []
    for i, (observer, subject) in enumerate(ports):
        value: dict[str, Any] = {k: 0 for k in COUNTER_KEYS}
        value.update(rx_octets=n * 1000 * (i + 1), sampled_at=at, oper_up=True)
        value.update({k: None for k in RATE_KEYS})
        out.append(Observation(bp, K.COUNTERS, observer, subject, value, at))
    return out


def _previous_reads(graph: Graph) -> int:
    return graph.stats.calls.get("telemetry.counters.previous", 0)


def test_rates_from_the_counters_a_process_sent_are_those_the_graph_gives(
    graph: Graph, client: redis.Redis
) -> None:
    with fs.deployed_fabric(graph) as fabric:
        ports = sorted((o, s) for k, o, s in fs.healthy(fabric) if k == "interface")[:6]
        sent = Sent()
        at = time.time() - 600
        for n in range(1, 4):
            raw = _counters(fabric.bp, ports, n, at + 10 * n)
            before = _previous_reads(graph)
            remembered = with_rates(graph, fabric.bp, raw, sent)
            # from the second round on the graph's digests vouch for what was sent
            assert (_previous_reads(graph) > before) == (n == 1)
            assert [o.value for o in remembered] == [
                o.value for o in with_rates(graph, fabric.bp, raw)
            ]
            assert all((o.value["rx_bps"] is None) == (n == 1) for o in remembered)
            ingest(graph, client, remembered)

        # another writer's counters for one observer: that observer is read again
        observer = ports[0][0]
        foreign = [o for o in _counters(fabric.bp, ports, 7, at + 35) if o.observer == observer]
        ingest(graph, client, with_rates(graph, fabric.bp, foreign))
        raw = _counters(fabric.bp, ports, 8, at + 40)
        before = _previous_reads(graph)
        remembered = with_rates(graph, fabric.bp, raw, sent)
        assert _previous_reads(graph) == before + 1
        assert [o.value for o in remembered] == [o.value for o in with_rates(graph, fabric.bp, raw)]
