"""B10: cost of one Prometheus scrape of `/metrics` with `large` in the graph.

Measured in-process (the collector and the text exposition, as the endpoint runs them,
without HTTP) twice: on the graph as it is (the `large` blueprint with no telemetry),
then with contract-shaped telemetry for all of `large` (docs/telemetry-model.md): a
`device` observation per switch, an `interface` observation per cabled switch port, a
`bgp` observation per session end, an `optics` observation per transceiver, and one
raised anomaly with its root cause. The observations go through ``ingest`` (without
evaluation), which keeps the observation counts the scrape reads; the blueprint holds
no telemetry before, and its telemetry (observations, samples, digests) and the tagged
anomaly are deleted at the end.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import redis
from prometheus_client import generate_latest

from api.loop_lag import LoopLag
from api.metrics import EventCounts, make_registry
from bench.common import engine, ensure_blueprint, median, timed, write_result
from blueprint_engine.graph.db import Graph, Query
from telemetry.ingest import ingest
from telemetry.model import Observation
from telemetry.model import ObservationKind as K

HELD = Query(
    "bench.b10_held",
    "MATCH (o:Observation) WHERE o.blueprint = $bp RETURN count(o) AS n",
)
TARGETS = Query(
    "bench.b10_targets",
    """
    MATCH (s:System {blueprint: $bp}) WHERE s.role <> 'server'
    OPTIONAL MATCH (s)-[:HAS_INTERFACE]->(i:Interface)<-[:ENDPOINT]-(:Link)
    OPTIONAL MATCH (i)-[:HAS_TRANSCEIVER]->(x:Transceiver)
    RETURN s.id AS system, s.uid AS system_uid, collect(DISTINCT [i.id, i.uid]) AS interfaces,
           collect(DISTINCT [x.id, x.uid]) AS transceivers
    """,
)
SESSIONS = Query(
    "bench.b10_sessions",
    """
    MATCH (b:BgpSession {blueprint: $bp})-[:PEER]->(s:System)
    RETURN b.id AS id, b.uid AS uid, s.id AS observer
    """,
)
SEED_FAULT = Query(
    "bench.b10_fault",
    """
    MATCH (i:Interface {uid: $uid})
    CREATE (a:Anomaly {uid: $bp + '/interface_down/' + i.id + '/b10', blueprint: $bp,
            type: 'interface_down', subject: i.id, device: $device, state: 'raised',
            expected: false, suppressed: false, first_seen: $at, last_seen: $at,
            bench_b10: true})-[:ON]->(i)
    CREATE (r:RootCause {uid: $bp + '/cable_cut/' + i.id + '/b10', blueprint: $bp,
            kind: 'cable_cut', subject: i.id, state: 'open', first_seen: $at, last_seen: $at,
            bench_b10: true})-[:CAUSED_AT]->(i)
    CREATE (r)-[:EXPLAINS]->(a)
    """,
)
CLEANUP = Query(
    "bench.b10_cleanup",
    """
    CALL {
      MATCH (n:Anomaly) WHERE n.bench_b10 = true RETURN n
      UNION MATCH (n:RootCause) WHERE n.bench_b10 = true RETURN n
      UNION MATCH (n:Observation) WHERE n.blueprint = $bp RETURN n
      UNION MATCH (n:Sample) WHERE n.blueprint = $bp RETURN n
      UNION MATCH (n:ObservationDigest) WHERE n.blueprint = $bp RETURN n
    }
    WITH n LIMIT 10000
    CALL {
      WITH n DETACH DELETE n RETURN 1 AS one
    }
    RETURN count(*) AS deleted
    """,
)


def scrape_seconds(graph: Graph, runs: int = 8) -> tuple[float, int, int]:
    registry = make_registry(graph, graph.settings, EventCounts(), LoopLag())
    samples, body = [], b""
    for _ in range(runs):
        elapsed, body = timed(lambda: generate_latest(registry))
        samples.append(elapsed)
    series = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
    return median(samples[1:]), len(body), series


def seed(graph: Graph, bp: str) -> int:
    if graph.read(HELD, bp=bp)[0]["n"]:
        raise RuntimeError(f"{bp} already holds observations; B10 seeds (and deletes) its own")
    now = time.time()
    obs: list[Observation] = []
    for t in graph.read(TARGETS, bp=bp):
        system = t["system"]
        obs.append(_obs(bp, K.DEVICE, system, system, {"reachable": True, "hostname": system}))
        obs.extend(
            _obs(bp, K.INTERFACE, system, iid, {"oper_up": True, "admin_up": True})
            for iid, _ in t["interfaces"]
            if iid is not None
        )
        obs.extend(
            _obs(bp, K.OPTICS, system, xid, {"present": True, "rx_power_dbm": -2.0})
            for xid, _ in t["transceivers"]
            if xid is not None
        )
    obs.extend(
        _obs(bp, K.BGP, s["observer"], s["id"], {"established": True, "state": "Established"})
        for s in graph.read(SESSIONS, bp=bp)
    )
    obs = [replace(o, observed_at=now) for o in obs]
    client = redis.Redis.from_url(graph.settings.redis_url)
    try:
        ingest(graph, client, obs, evaluate=False)
    finally:
        client.close()
    first = next(o for o in obs if o.kind is K.INTERFACE)
    graph.write(SEED_FAULT, uid=f"{bp}/{first.subject}", bp=bp, device=first.observer, at=now)
    return len(obs)


def _obs(bp: str, kind: K, observer: str, subject: str, value: dict[str, Any]) -> Observation:
    return Observation(bp, kind, observer, subject, value, 0.0)


def cleanup(graph: Graph, bp: str) -> None:
    while graph.write(CLEANUP, bp=bp)[0]["deleted"]:
        pass


def run(template: str = "large", bench_id: str = "B10") -> None:
    bps = engine()
    name = ensure_blueprint(bps, template)
    graph = bps.graph
    cleanup(graph, name)
    bare, bare_bytes, bare_series = scrape_seconds(graph)
    print(f"scrape, no telemetry: {bare * 1000:.0f} ms, {bare_series} series, {bare_bytes} bytes")
    try:
        seeded_s, observations = timed(lambda: seed(graph, name))
        print(f"seeded {observations} observations in {seeded_s:.1f} s")
        full, full_bytes, full_series = scrape_seconds(graph)
        print(
            f"scrape, telemetry for all of {template}: {full * 1000:.0f} ms, {full_series} series"
        )
    finally:
        cleanup(graph, name)
    write_result(
        bench_id,
        full,
        "s",
        "cheap: well under the 15 s scrape interval" if bench_id == "B10" else "<= 1 s",
        template,
        no_telemetry_s=round(bare, 4),
        no_telemetry_series=bare_series,
        no_telemetry_bytes=bare_bytes,
        observations=observations,
        series=full_series,
        bytes=full_bytes,
        blueprints_in_graph=len(bps.names()),
    )
