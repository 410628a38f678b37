"""Root causes in the graph: read the raised symptoms and the topology around them,
group them (``telemetry.rootcause``), then open, update and clear ``RootCause`` nodes.

``(:RootCause {uid, blueprint, kind, subject, state: open|cleared, summary,
evidence, first_seen, last_seen, cleared_at})-[:CAUSED_AT]->(intent node)`` and
``-[:EXPLAINS]->(:Anomaly)``. Opened, changed and cleared causes each publish one
``root_cause`` event ``{"uid", "kind", "state", "symptoms": [...]}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from blueprint_engine.events import EventKind, Publisher, publish
from blueprint_engine.graph.db import Graph, Query, Tx
from blueprint_engine.virtual.impact import impacted_vms
from blueprint_engine.virtual.reads import vms_on_servers_in
from telemetry.anomalies import node_by_label
from telemetry.evaluate import AnomalyType
from telemetry.overlay_causes import RULES
from telemetry.rootcause import Cause, End, LinkTopo, SessionTopo, Symptom, Topology, group

RAISED = Query(
    "telemetry.causes.raised",
    """
    MATCH (a:Anomaly) WHERE a.blueprint = $bp AND a.state = 'raised'
    RETURN a.uid AS uid, a.type AS type, a.subject AS subject, a.device AS device,
           a.actual_value AS actual, a.expected AS expected, a.suppressed AS suppressed
    """,
)
TOPOLOGY = Query(
    "telemetry.causes.topology",
    """
    UNWIND $ids AS id
    MATCH (s:System {uid: $bp + '/' + id})
    CALL {
        WITH s
        MATCH (s)-[:HAS_INTERFACE]->(:Interface)<-[:ENDPOINT]-(l:Link)
        MATCH (l)-[e:ENDPOINT]->(i:Interface)<-[:HAS_INTERFACE]-(o:System)
        WITH l, e.side AS side,
             {interface: i.id, name: i.name, system: o.id, hostname: o.hostname,
              role: o.role,
              transceiver: head([(i)-[:HAS_TRANSCEIVER]->(x:Transceiver) | x.id]),
              monitored: coalesce(head([(o)<-[:ASSIGNED_TO]-(d:Device) |
                                        d.deploy_mode IN ['deploy', 'drain']]), false)}
             AS end
        ORDER BY side
        WITH l, collect(end) AS ends
        RETURN collect({id: l.id, role: l.role, ends: ends}) AS links
    }
    CALL {
        WITH s
        MATCH (s)<-[:PEER]-(b:BgpSession)
        MATCH (b)-[:PEER {side: 'a'}]->(a:System), (b)-[:PEER {side: 'b'}]->(z:System)
        RETURN collect({id: b.id, a: a.id, b: z.id, a_role: a.role, b_role: z.role,
                        link: head([(b)-[:OVER]->(l:Link) | l.id])}) AS sessions
    }
    RETURN links, sessions
    """,
)
"""Links (both ends) and BGP sessions of a set of systems, in one statement."""
OPEN = Query(
    "telemetry.causes.open",
    """
    MATCH (c:RootCause) WHERE c.blueprint = $bp AND c.state = 'open'
    OPTIONAL MATCH (c)-[:EXPLAINS]->(a:Anomaly)
    RETURN c.uid AS uid, c.kind AS kind, c.subject AS subject, c.evidence AS evidence,
           collect(a.uid) AS symptoms
    """,
)
UPSERT = Query(
    "telemetry.causes.upsert",
    """
    UNWIND $rows AS r
    MERGE (c:RootCause {uid: r.uid})
    ON CREATE SET c.blueprint = $bp, c.kind = r.kind, c.subject = r.subject
    SET c.first_seen = CASE WHEN c.state = 'open' THEN c.first_seen ELSE $now END,
        c.state = 'open', c.cleared_at = null, c.last_seen = $now,
        c.summary = r.summary, c.evidence = r.evidence
    WITH c, r
    CALL {
        WITH c
        MATCH (c)-[old:EXPLAINS|CAUSED_AT]->()
        DELETE old
        RETURN count(*) AS removed
    }
    CALL {
        WITH c, r
        UNWIND r.symptoms AS uid
        MATCH (a:Anomaly {uid: uid})
        CREATE (c)-[:EXPLAINS]->(a)
        RETURN count(*) AS explained
    }
    RETURN count(*) AS written
    """,
)


AT_LABELS = ("System", "Interface", "Link", "Transceiver", "Vnic", "VirtualSwitch")
CAUSED_AT = Query(
    "telemetry.causes.at",
    f"""
    UNWIND $rows AS r
    {node_by_label(AT_LABELS)}
    MATCH (c:RootCause {{uid: r.uid}})
    MERGE (c)-[:CAUSED_AT]->(n)
    """,
)
CLEAR = Query(
    "telemetry.causes.clear",
    """
    UNWIND $uids AS uid
    MATCH (c:RootCause {uid: uid}) WHERE c.state = 'open'
    SET c.state = 'cleared', c.cleared_at = datetime({epochMillis: toInteger($now * 1000)}),
        c.last_seen = $now
    """,
)


def _json(text: str | None) -> Mapping[str, Any] | None:
    return None if text is None else dict(json.loads(text))


def symptoms(graph: Graph, tx: Tx, bp: str) -> list[Symptom]:
    return [
        Symptom(
            r["uid"],
            AnomalyType(r["type"]),
            r["subject"],
            r["device"],
            _json(r["actual"]),
            bool(r["expected"]),
            bool(r["suppressed"]),
        )
        for r in graph.run(tx, RAISED, bp=bp)
    ]


def _add_round(graph: Graph, tx: Tx, bp: str, ids: Sequence[str], topo: Topology) -> None:
    for r in graph.run(tx, TOPOLOGY, bp=bp, ids=list(ids)):
        for link in r["links"]:
            ends = tuple(End(**e) for e in link["ends"])
            if len(ends) == 2:
                topo.add_link(LinkTopo(link["id"], link["role"], (ends[0], ends[1])))
        for ses in r["sessions"]:
            topo.add_session(SessionTopo(ses["id"], ses["a"], ses["b"], ses["link"]))
            topo.roles.setdefault(ses["a"], ses["a_role"])
            topo.roles.setdefault(ses["b"], ses["b_role"])


def topology(graph: Graph, tx: Tx, bp: str, found: Iterable[Symptom]) -> Topology:
    """Links and sessions of the symptoms' systems, then of the servers behind them
    and those servers' other leafs (for the servers' paths): at most three rounds."""
    topo = Topology()
    pending = {s.device for s in found} | {
        s.subject for s in found if s.type in (AnomalyType.ROUTE_MISSING,)
    }
    fetched: set[str] = set()
    for _ in range(3):
        pending -= fetched
        if not pending:
            break
        _add_round(graph, tx, bp, sorted(pending), topo)
        fetched |= pending
        servers = {s for s, role in topo.roles.items() if role == "server"}
        leafs_of_servers = {
            e.system
            for lk in topo.links.values()
            if {e.system for e in lk.ends} & servers
            for e in lk.ends
        }
        pending = servers | leafs_of_servers | _leafs_below_pod_spines(topo)
    return topo


def _leafs_below_pod_spines(topo: Topology) -> set[str]:
    """5-stage: the leafs of the spines that have superspine links in ``topo`` (a fault
    above a pod spine costs the servers below it a path out of the pod)."""
    pod_spines = {
        e.system
        for lk in topo.links.values()
        if lk.role == "superspine_spine"
        for e in lk.ends
        if e.role == "spine"
    }
    return {
        e.system
        for lk in topo.links.values()
        if lk.role == "spine_leaf" and {e.system for e in lk.ends} & pod_spines
        for e in lk.ends
        if e.role == "leaf"
    }


@dataclass
class CausePlan:
    upsert: list[Cause] = field(default_factory=list)
    clear: list[dict[str, Any]] = field(default_factory=list)
    changed: list[Cause] = field(default_factory=list)  # opened or symptoms changed


def plan(bp: str, causes: Sequence[Cause], stored: Sequence[Mapping[str, Any]]) -> CausePlan:
    """Pure: open new causes, refresh kept ones, clear those no longer implied."""
    out = CausePlan()
    now_open = {c.uid(bp): c for c in causes}
    known = {r["uid"]: r for r in stored}
    for uid, cause in sorted(now_open.items()):
        out.upsert.append(cause)
        before = known.get(uid)
        if before is None or sorted(before["symptoms"]) != sorted(cause.symptoms):
            out.changed.append(cause)
    out.clear = [dict(r) for uid, r in sorted(known.items()) if uid not in now_open]
    return out


def _row(bp: str, cause: Cause) -> dict[str, Any]:
    return {
        "uid": cause.uid(bp),
        "kind": cause.kind.value,
        "subject": cause.subject,
        "summary": cause.summary,
        "symptoms": list(cause.symptoms),
        "evidence": json.dumps(cause.evidence, sort_keys=True, default=str),
    }


def write(graph: Graph, tx: Tx, bp: str, todo: CausePlan, now: float) -> None:
    """Write ``todo`` in the caller's transaction ``tx``."""
    rows = [_row(bp, c) for c in todo.upsert]
    at = [
        {"uid": c.uid(bp), "on_label": label, "subject": ident}
        for c in todo.upsert
        for label, ident in c.at
    ]
    if rows:
        graph.run(tx, UPSERT, bp=bp, rows=rows, now=now)
    if at:
        graph.run(tx, CAUSED_AT, bp=bp, rows=at)
    if todo.clear:
        graph.run(tx, CLEAR, uids=[r["uid"] for r in todo.clear], now=now)


def publish_events(redis: Publisher, bp: str, todo: CausePlan) -> None:
    for cause in todo.changed:
        publish(
            redis,
            EventKind.ROOT_CAUSE,
            {
                "blueprint": bp,
                "uid": cause.uid(bp),
                "kind": cause.kind.value,
                "state": "open",
                "subject": cause.subject,
                "summary": cause.summary,
                "symptoms": list(cause.symptoms),
            },
        )
    for r in todo.clear:
        publish(
            redis,
            EventKind.ROOT_CAUSE,
            {
                "blueprint": bp,
                "uid": r["uid"],
                "kind": r["kind"],
                "state": "cleared",
                "subject": r["subject"],
                "symptoms": sorted(r["symptoms"]),
            },
        )


def with_vms(graph: Graph, tx: Tx, bp: str, found: Sequence[Cause]) -> list[Cause]:
    """Each cause with the VMs of its impacted servers in evidence (``impacted_vms``), when
    it has any: one statement for every cause."""
    servers = [str(row["server"]) for c in found for row in c.evidence.get("impacted_servers", ())]
    by_server = vms_on_servers_in(graph, tx, bp, servers)
    out = []
    for c in found:
        vms = impacted_vms(c.evidence.get("impacted_servers", ()), by_server)
        if vms:
            c = Cause(c.kind, c.subject, c.at, c.symptoms, {**c.evidence, "impacted_vms": vms},
                      c.summary)  # fmt: skip
        out.append(c)
    return out


@dataclass
class Regrouped:
    opened: list[dict[str, Any]] = field(default_factory=list)
    cleared: list[dict[str, Any]] = field(default_factory=list)


def regroup_in(graph: Graph, tx: Tx, bp: str, now: float) -> CausePlan:
    """Recompute the blueprint's root causes from its raised anomalies, reading and
    writing in the caller's transaction ``tx`` (which sees its own anomaly writes); the
    plan written, whose events the caller publishes once ``tx`` is committed."""
    found = symptoms(graph, tx, bp)
    topo = topology(graph, tx, bp, found) if found else Topology()
    causes = with_vms(graph, tx, bp, group(found, topo, RULES) if found else [])
    todo = plan(bp, causes, graph.run(tx, OPEN, bp=bp))
    if todo.upsert or todo.clear:
        write(graph, tx, bp, todo, now)
    return todo


def published(redis: Publisher, bp: str, todo: CausePlan) -> Regrouped:
    """Publish the events of a committed plan; what it opened and cleared."""
    if todo.upsert or todo.clear:
        publish_events(redis, bp, todo)
    return Regrouped(
        opened=[
            {
                "uid": c.uid(bp),
                "kind": c.kind.value,
                "subject": c.subject,
                "symptoms": list(c.symptoms),
            }
            for c in todo.changed
        ],
        cleared=[{"uid": r["uid"], "kind": r["kind"], "subject": r["subject"]} for r in todo.clear],
    )


def regroup(graph: Graph, redis: Publisher, bp: str, now: float) -> Regrouped:
    """Recompute the blueprint's root causes from its raised anomalies (one transaction)."""
    todo = graph.write_tx(lambda tx: regroup_in(graph, tx, bp, now))
    return published(redis, bp, todo)
