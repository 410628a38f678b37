"""B10: cost of one Prometheus scrape of `/metrics` with `large` in the graph.

Measured in-process (the collector and the text exposition, as the endpoint runs them,
without HTTP) twice: on the graph as it is (the `large` blueprint with no telemetry),
then with contract-shaped telemetry for all of `large` (docs/telemetry-model.md): a
`device` observation per switch, an `interface` observation per cabled switch port, a
`bgp` observation per session end, an `optics` observation per transceiver, and one
raised anomaly with its root cause. What it writes is tagged and deleted at the end.
"""

from __future__ import annotations

import json
import time

from prometheus_client import generate_latest

from api.loop_lag import LoopLag
from api.metrics import EventCounts, make_registry
from bench.common import engine, ensure_blueprint, median, timed, write_result
from blueprint_engine.graph.db import Graph, Query

TAG = "bench_b10"
LABELS = {
    "device": "System",
    "interface": "Interface",
    "optics": "Transceiver",
    "bgp": "BgpSession",
}
SEED = {
    kind: Query(
        f"bench.b10_seed_{kind}",
        f"""
        UNWIND $rows AS r
        MATCH (x:{label} {{uid: r.subject_uid}})
        CREATE (o:Observation {{uid: r.uid, blueprint: r.bp, kind: r.kind,
                observer: r.observer, subject: r.subject, value: r.value,
                observed_at: r.at, changed_at: r.at, bench_b10: true}})-[:OBSERVES]->(x)
        """,
    )
    for kind, label in LABELS.items()
}
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
      MATCH (n:Observation) WHERE n.bench_b10 = true RETURN n
      UNION MATCH (n:Anomaly) WHERE n.bench_b10 = true RETURN n
      UNION MATCH (n:RootCause) WHERE n.bench_b10 = true RETURN n
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


def _row(kind: str, observer: str, subject: str, uid: str, value: object) -> dict[str, object]:
    return {
        "kind": kind,
        "observer": observer,
        "subject": subject,
        "subject_uid": uid,
        "value": json.dumps(value),
    }


def seed(graph: Graph, bp: str) -> int:
    now = time.time()
    rows = []
    for t in graph.read(TARGETS, bp=bp):
        system = t["system"]
        rows.append(
            _row("device", system, system, t["system_uid"], {"reachable": True, "hostname": system})
        )
        rows.extend(
            _row("interface", system, iid, iuid, {"oper_up": True, "admin_up": True})
            for iid, iuid in t["interfaces"]
            if iid is not None
        )
        rows.extend(
            _row("optics", system, xid, xuid, {"present": True, "rx_power_dbm": -2.0})
            for xid, xuid in t["transceivers"]
            if xid is not None
        )
    rows.extend(
        _row("bgp", s["observer"], s["id"], s["uid"], {"established": True, "state": "Established"})
        for s in graph.read(SESSIONS, bp=bp)
    )
    for r in rows:
        r.update(bp=bp, at=now, uid=f"{bp}/{r['kind']}/{r['observer']}/{r['subject']}/{TAG}")
    for kind in LABELS:
        of_kind = [r for r in rows if r["kind"] == kind]
        for i in range(0, len(of_kind), 5000):
            graph.write(SEED[kind], rows=of_kind[i : i + 5000])
    first = next(r for r in rows if r["kind"] == "interface")
    graph.write(SEED_FAULT, uid=first["subject_uid"], bp=bp, device=first["observer"], at=now)
    return len(rows)


def cleanup(graph: Graph) -> None:
    while graph.write(CLEANUP)[0]["deleted"]:
        pass


def run(template: str = "large", bench_id: str = "B10") -> None:
    bps = engine()
    name = ensure_blueprint(bps, template)
    graph = bps.graph
    cleanup(graph)
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
        cleanup(graph)
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
