"""Aggregate reads behind the Prometheus endpoint, and the pure shaping of their rows.

A scrape runs each statement here once, whatever the number of blueprints: every
statement aggregates in Neo4j and returns one row per label combination, never
one row per node, except the per-element telemetry statements, which only return
elements that telemetry has observed (the lab), so a blueprint without
telemetry costs a count. Series of the closed vocabularies (anomaly types and
states, root-cause kinds and states) are filled with zeros so every series
exists from the first scrape, and a PromQL expression never returns "no data"
just because nothing went wrong yet.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from blueprint_engine.graph.db import Graph, Query
from telemetry.evaluate import AnomalyType
from telemetry.rootcause import CauseKind

# the contract's closed vocabularies (docs/telemetry-model.md), from their enums; the
# scrape zero-fills a ``Vocabulary`` of them per blueprint
ANOMALY_TYPES = tuple(t.value for t in AnomalyType)
ANOMALY_STATES = ("raised", "cleared")
ROOT_CAUSE_KINDS = tuple(k.value for k in CauseKind)
ROOT_CAUSE_STATES = ("open", "cleared")
ELEMENT_STATES = ("up", "down", "unknown")
# anomaly types that put an interface, and so its link, down
LINK_DOWN_TYPES = tuple(
    t.value
    for t in (AnomalyType.INTERFACE_DOWN, AnomalyType.TRANSCEIVER_FAULT, AnomalyType.CABLING)
)
DEPLOYMENT_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0)

BLUEPRINTS = Query("metrics.blueprints", "MATCH (b:Blueprint) RETURN b.name AS blueprint")
SYSTEMS = Query(
    "metrics.systems",
    """
    MATCH (s:System)
    RETURN s.blueprint AS blueprint, s.role AS role,
           coalesce(s.deploy_mode, 'not_set') AS deploy_mode, count(*) AS n
    """,
)
DEVICES = Query(
    "metrics.devices",
    """
    MATCH (d:Device)
    OPTIONAL MATCH (d)-[:ASSIGNED_TO]->(s:System)
    RETURN coalesce(s.blueprint, '') AS blueprint, coalesce(d.state, 'none') AS state,
           coalesce(d.deploy_mode, 'not_set') AS deploy_mode,
           coalesce(d.liveness, 'unknown') AS liveness, count(*) AS n
    """,
)
DEVICE_INFO = Query(
    "metrics.device_info",
    """
    MATCH (d:Device)
    RETURN d.serial AS serial, coalesce(d.vendor, '') AS vendor, coalesce(d.model, '') AS model,
           coalesce(d.os_version, '') AS os_version,
           coalesce(d.device_profile, '') AS device_profile,
           CASE d.nos_version_ok WHEN true THEN 'yes' WHEN false THEN 'no' ELSE 'unknown' END
             AS os_version_allowed
    ORDER BY serial
    """,
)
AGENTS = Query(
    "metrics.agents",
    """
    MATCH (a:Agent)
    RETURN a.status AS status, coalesce(a.reason, '') AS reason, count(*) AS n
    """,
)
DEVICE_INFO_LABELS = ("serial", "vendor", "model", "os_version", "device_profile")
ANOMALIES = Query(
    "metrics.anomalies",
    """
    MATCH (a:Anomaly)
    RETURN a.blueprint AS blueprint, a.type AS type, a.state AS state,
           count(*) AS n,
           count(CASE WHEN a.state = 'raised' AND NOT coalesce(a.expected, false)
                       AND NOT coalesce(a.suppressed, false) THEN 1 END) AS active
    """,
)
ROOT_CAUSES = Query(
    "metrics.root_causes",
    """
    MATCH (r:RootCause)
    RETURN r.blueprint AS blueprint, r.kind AS kind, r.state AS state, count(*) AS n
    """,
)
# a session is down when a raised bgp anomaly is on it, established when telemetry has
# seen it and none is, unknown when no telemetry has reached it
BGP_SESSIONS = Query(
    "metrics.bgp_sessions",
    """
    MATCH (s:BgpSession)
    WITH s.blueprint AS blueprint,
         EXISTS { (:Anomaly {state: 'raised', type: 'bgp_session_down'})-[:ON]->(s) } AS down,
         EXISTS { (:Observation)-[:OBSERVES]->(s) } AS seen
    RETURN blueprint,
           CASE WHEN down THEN 'down' WHEN seen THEN 'up' ELSE 'unknown' END AS state,
           count(*) AS n
    """,
)
# links: counted by role from the link nodes; the down and observed ones are found
# from the (few) anomalies and observations, never by visiting every link's interfaces
LINKS = Query(
    "metrics.links",
    """
    MATCH (l:Link)
    RETURN l.blueprint AS blueprint, l.role AS role, count(*) AS n
    """,
)
LINKS_DOWN = Query(
    "metrics.links_down",
    """
    MATCH (a:Anomaly {state: 'raised'})-[:ON]->(x)
    WHERE a.type IN $types
    OPTIONAL MATCH (x)<-[:HAS_TRANSCEIVER*0..1]-(:Interface)<-[:ENDPOINT]-(via:Link)
    WITH CASE WHEN x:Link THEN x ELSE via END AS l
    WHERE l IS NOT NULL
    RETURN l.blueprint AS blueprint, l.role AS role, collect(DISTINCT l.id) AS ids,
           collect(DISTINCT l.uid) AS uids
    """,
)
# links observed (an interface, lldp or optics observation on one of their ends), read
# from the links of the blueprints that have such observations (an early EXISTS per
# link, not every observation's path: 135k on `xlarge`); counted per role, with the ids
# only where they are needed: every one of a blueprint with per-link series
# ($detailed), else only those among the down links ($down, by uid)
LINKS_SEEN = Query(
    "metrics.links_seen",
    """
    MATCH (l:Link)
    WHERE l.blueprint IN $watched
      AND EXISTS { MATCH (l)-[:ENDPOINT]->(:Interface)-[:HAS_TRANSCEIVER*0..1]->(x)
                         <-[:OBSERVES]-(o:Observation)
                   WHERE o.kind IN $kinds }
    RETURN l.blueprint AS blueprint, l.role AS role, count(*) AS n,
           collect(CASE WHEN l.blueprint IN $detailed OR l.uid IN $down THEN l.id END) AS ids
    """,
)
# the observation kinds that say a link's end was seen
LINK_SEEN_KINDS = ("interface", "lldp", "optics")
DEPLOYMENTS = Query(
    "metrics.deployments",
    """
    MATCH (d:Deployment)
    RETURN d.stage AS stage, d.status AS status, collect(d.seconds) AS seconds
    """,
)
# the counts ingest keeps on each observer's digest (telemetry.digest), summed: one
# node per switch read instead of every observation counted
OBSERVATIONS = Query(
    "metrics.observations",
    """
    MATCH (d:ObservationDigest) WHERE d.kinds IS NOT NULL
    UNWIND range(0, size(d.kinds) - 1) AS i
    WITH d.blueprint AS blueprint, d.kinds[i] AS kind, d.counts[i] AS n,
         d.newest_ms[i] AS newest_ms
    WITH blueprint, kind, sum(n) AS n, max(newest_ms) AS newest_ms WHERE n > 0
    RETURN blueprint, kind, n,
           CASE WHEN newest_ms > 0 THEN datetime({epochMillis: newest_ms}) END AS newest
    """,
)
# per-element telemetry series grow with the fabric (B10: 42k series, 3.5 s for all of
# `large`), so they are exported for blueprints up to this many switches; larger ones
# get per-switch anomaly counts (device_anomalies) and the aggregates only
ELEMENT_SERIES_MAX_SWITCHES = 64
ELEMENT_OBSERVATIONS = Query(
    "metrics.element_observations",
    """
    MATCH (o:Observation)
    WHERE o.blueprint IN $blueprints AND o.kind IN ['device', 'interface', 'bgp', 'optics']
    RETURN o.blueprint AS blueprint, o.kind AS kind, o.observer AS observer,
           o.subject AS subject, o.value AS value
    """,
)
# each linked interface's latest counters (rates per second), with its link
LINK_COUNTERS = Query(
    "metrics.link_counters",
    """
    MATCH (o:Observation)
    WHERE o.blueprint IN $blueprints AND o.kind = 'counters'
    MATCH (o)-[:OBSERVES]->(:Interface)<-[:ENDPOINT]-(l:Link)
    RETURN o.blueprint AS blueprint, o.observer AS observer, o.subject AS subject,
           l.id AS link, o.value AS value
    """,
)
ELEMENT_ANOMALIES = Query(
    "metrics.element_anomalies",
    """
    MATCH (a:Anomaly {state: 'raised'})
    RETURN a.blueprint AS blueprint, a.device AS system, a.type AS type, count(*) AS n
    """,
)


@dataclass(frozen=True)
class Sample:
    """One metric value: ``name`` without the ``fabricgraph_`` prefix."""

    name: str
    labels: dict[str, str]
    value: float


@dataclass
class Histogram:
    labels: dict[str, str]
    buckets: list[tuple[str, float]]  # cumulative, "+Inf" last
    count: int
    sum: float


@dataclass
class GraphFacts:
    """Everything a scrape reads from the graph."""

    samples: list[Sample] = field(default_factory=list)
    histograms: list[Histogram] = field(default_factory=list)


def zero_filled(
    rows: Iterable[dict[str, Any]],
    blueprints: Sequence[str],
    keys: tuple[str, str],
    vocab: tuple[Sequence[str], Sequence[str]],
    name: str,
    value_key: str = "n",
) -> list[Sample]:
    """One sample per blueprint x vocab[0] x vocab[1] (0 when absent), plus unknown values."""
    counts: dict[tuple[str, str, str], float] = {}
    for bp in blueprints:
        for first in vocab[0]:
            for second in vocab[1]:
                counts[(bp, first, second)] = 0.0
    for row in rows:
        key = (str(row["blueprint"]), str(row[keys[0]]), str(row[keys[1]]))
        counts[key] = counts.get(key, 0.0) + float(row[value_key])
    return [
        Sample(name, {"blueprint": bp, keys[0]: a, keys[1]: b}, n)
        for (bp, a, b), n in sorted(counts.items())
    ]


def histogram(labels: dict[str, str], values: Iterable[float | None]) -> Histogram:
    """Cumulative buckets of ``values`` (None ignored) over ``DEPLOYMENT_BUCKETS``."""
    seen = sorted(float(v) for v in values if v is not None and not math.isnan(float(v)))
    buckets = [(repr(b), float(sum(1 for v in seen if v <= b))) for b in DEPLOYMENT_BUCKETS]
    buckets.append(("+Inf", float(len(seen))))
    return Histogram(labels, buckets, len(seen), sum(seen))


def link_states(
    totals: Iterable[dict[str, Any]],
    down: Iterable[dict[str, Any]],
    seen: Iterable[dict[str, Any]],
) -> list[Sample]:
    """Links per blueprint, role and state (down, up = observed and not down, unknown).

    A ``seen`` row counts the observed links (``n``; the length of ``ids`` without it)
    and names at least those of them that are down (``ids``)."""
    total: dict[tuple[str, str], int] = {}
    for row in totals:
        total[(row["blueprint"], row["role"])] = int(row["n"])
    down_ids = {(r["blueprint"], r["role"]): set(r["ids"]) for r in down}
    seen_ids = {(r["blueprint"], r["role"]): set(r["ids"]) for r in seen}
    seen_n = {(r["blueprint"], r["role"]): int(r.get("n", len(r["ids"]))) for r in seen}
    out: list[Sample] = []
    for key, n in sorted(total.items()):
        down_set = down_ids.get(key, set())
        d = min(len(down_set), n)
        seen_down = len(seen_ids.get(key, set()) & down_set)
        up = min(seen_n.get(key, 0) - seen_down, n - d)
        counts = {"down": d, "up": up, "unknown": n - d - up}
        out.extend(
            Sample("links", {"blueprint": key[0], "role": key[1], "state": s}, float(counts[s]))
            for s in ELEMENT_STATES
        )
    for key in sorted(set(down_ids) | set(seen_ids)):
        down_set = down_ids.get(key, set())
        for link in sorted(down_set | seen_ids.get(key, set())):
            labels = {"blueprint": key[0], "role": key[1], "link": link}
            out.append(Sample("link_up", labels, 0.0 if link in down_set else 1.0))
    return out


def epoch(value: Any) -> float | None:
    """Epoch seconds from a float (the contract) or a Neo4j/Python datetime (as stored)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    native = getattr(value, "to_native", None)
    moment = native() if callable(native) else value
    timestamp = getattr(moment, "timestamp", None)
    return float(timestamp()) if callable(timestamp) else None


def _parse(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _flag(value: Any, *names: str) -> float | None:
    """A 0/1 reading of the first boolean field of ``value`` named in ``names``."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, dict):
        for name in names:
            if isinstance(value.get(name), bool):
                return float(value[name])
    return None


def _number(value: Any, *names: str) -> float | None:
    if isinstance(value, dict):
        for name in names:
            v = value.get(name)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return float(v)
    return None


def element_samples(rows: Iterable[dict[str, Any]]) -> list[Sample]:
    """Per-device and per-interface telemetry series from the latest observation values."""
    out: list[Sample] = []
    for row in rows:
        value = _parse(row["value"])
        labels = {"blueprint": str(row["blueprint"]), "system": str(row["observer"])}
        kind, subject = row["kind"], str(row["subject"])
        if kind == "device":
            flag = _flag(value, "reachable", "up")
            if flag is not None:
                out.append(Sample("device_reachable", labels, flag))
        elif kind == "interface":
            flag = _flag(value, "oper_up", "is_up", "up")
            if flag is not None:
                out.append(Sample("interface_up", {**labels, "interface": subject}, flag))
        elif kind == "bgp":
            flag = _flag(value, "established", "is_up", "up")
            if flag is not None:
                out.append(Sample("bgp_session_up", {**labels, "session": subject}, flag))
        elif kind == "optics":
            power = _number(value, "rx_power_dbm", "rx_power", "input_power")
            if power is not None:
                out.append(Sample("optics_rx_power_dbm", {**labels, "transceiver": subject}, power))
    return out


def link_throughput(rows: Iterable[dict[str, Any]]) -> list[Sample]:
    """Bits per second each end of a link receives and sends (its last counters' rates;
    none before an interface's second sample)."""
    out: list[Sample] = []
    for row in rows:
        value = _parse(row["value"])
        labels = {
            "blueprint": str(row["blueprint"]),
            "link": str(row["link"]),
            "system": str(row["observer"]),
            "interface": str(row["subject"]),
        }
        for direction in ("rx", "tx"):
            bps = _number(value, f"{direction}_bps")
            if bps is not None:
                out.append(Sample("link_throughput_bps", {**labels, "direction": direction}, bps))
    return out


def detailed_blueprints(systems: Iterable[dict[str, Any]]) -> list[str]:
    """Blueprints small enough for per-element series (switch count from the system rows)."""
    switches: dict[str, int] = {}
    for r in systems:
        n = int(r["n"]) if r["role"] != "server" else 0
        switches[str(r["blueprint"])] = switches.get(str(r["blueprint"]), 0) + n
    return sorted(bp for bp, n in switches.items() if n <= ELEMENT_SERIES_MAX_SWITCHES)


@dataclass(frozen=True)
class Vocabulary:
    """The closed sets zero-filled per blueprint (values of telemetry's enums)."""

    anomaly_types: tuple[str, ...]
    root_cause_kinds: tuple[str, ...]


def read_graph_facts(graph: Graph, now: float, vocabulary: Vocabulary) -> GraphFacts:
    """Run the scrape's statements (one read transaction) and shape their rows."""

    def work(tx: Any) -> dict[str, list[dict[str, Any]]]:
        queries = {
            "blueprints": (BLUEPRINTS, {}),
            "systems": (SYSTEMS, {}),
            "devices": (DEVICES, {}),
            "device_info": (DEVICE_INFO, {}),
            "agents": (AGENTS, {}),
            "anomalies": (ANOMALIES, {}),
            "root_causes": (ROOT_CAUSES, {}),
            "bgp": (BGP_SESSIONS, {}),
            "links": (LINKS, {}),
            "links_down": (LINKS_DOWN, {"types": list(LINK_DOWN_TYPES)}),
            "deployments": (DEPLOYMENTS, {}),
            "observations": (OBSERVATIONS, {}),
            "element_anomalies": (ELEMENT_ANOMALIES, {}),
        }
        out = {key: graph.run(tx, q, **params) for key, (q, params) in queries.items()}
        small = detailed_blueprints(out["systems"])
        out["links_seen"] = graph.run(
            tx,
            LINKS_SEEN,
            watched=sorted(
                {r["blueprint"] for r in out["observations"] if r["kind"] in LINK_SEEN_KINDS}
            ),
            kinds=list(LINK_SEEN_KINDS),
            detailed=small,
            down=[uid for r in out["links_down"] for uid in r["uids"]],
        )
        out["elements"] = graph.run(tx, ELEMENT_OBSERVATIONS, blueprints=small)
        out["link_counters"] = graph.run(tx, LINK_COUNTERS, blueprints=small)
        return out

    rows = graph.read_tx(work)
    return shape(rows, now, vocabulary)


def shape(rows: dict[str, list[dict[str, Any]]], now: float, vocabulary: Vocabulary) -> GraphFacts:
    """Pure: rows of the scrape statements -> samples and histograms."""
    facts = GraphFacts()
    bps = sorted(str(r["blueprint"]) for r in rows["blueprints"])
    add = facts.samples.extend
    add([Sample("blueprints", {}, float(len(bps)))])
    add(
        Sample("systems", {k: str(r[k]) for k in ("blueprint", "role", "deploy_mode")}, r["n"])
        for r in rows["systems"]
    )
    add(
        Sample(
            "devices",
            {k: str(r[k]) for k in ("blueprint", "state", "deploy_mode", "liveness")},
            r["n"],
        )
        for r in rows["devices"]
    )
    add(
        Sample(
            "device_info",
            {k: str(r[k]) for k in (*DEVICE_INFO_LABELS, "os_version_allowed")},
            1.0,
        )
        for r in rows.get("device_info", [])
    )
    add(
        Sample("agents", {"status": str(r["status"]), "reason": str(r["reason"])}, r["n"])
        for r in rows.get("agents", [])
    )
    vocab: tuple[Sequence[str], Sequence[str]] = (vocabulary.anomaly_types, ANOMALY_STATES)
    add(zero_filled(rows["anomalies"], bps, ("type", "state"), vocab, "anomalies"))
    active = [{**r, "state": "active", "n": r["active"]} for r in rows["anomalies"]]
    vocab = (vocabulary.anomaly_types, ("active",))
    for s in zero_filled(active, bps, ("type", "state"), vocab, "anomalies_active"):
        add([Sample(s.name, {k: v for k, v in s.labels.items() if k != "state"}, s.value)])
    vocab = (vocabulary.root_cause_kinds, ROOT_CAUSE_STATES)
    add(zero_filled(rows["root_causes"], bps, ("kind", "state"), vocab, "root_causes"))
    bgp = {(bp, s): 0.0 for bp in bps for s in ELEMENT_STATES}
    for r in rows["bgp"]:
        bgp[(str(r["blueprint"]), str(r["state"]))] = float(r["n"])
    add(Sample("bgp_sessions", {"blueprint": bp, "state": s}, n) for (bp, s), n in bgp.items())
    small = set(detailed_blueprints(rows["systems"]))
    add(
        s
        for s in link_states(rows["links"], rows["links_down"], rows["links_seen"])
        if s.name != "link_up" or s.labels["blueprint"] in small
    )
    for r in rows["deployments"]:
        labels = {"stage": str(r["stage"]), "status": str(r["status"])}
        facts.histograms.append(histogram(labels, r["seconds"]))
    for r in rows["observations"]:
        labels = {"blueprint": str(r["blueprint"]), "kind": str(r["kind"])}
        add([Sample("observations", labels, float(r["n"]))])
        newest = epoch(r["newest"])
        if newest is not None:
            add([Sample("observation_age_seconds", labels, max(0.0, now - newest))])
    add(element_samples(rows["elements"]))
    add(link_throughput(rows.get("link_counters", [])))
    add(
        Sample(
            "device_anomalies",
            {"blueprint": str(r["blueprint"]), "system": str(r["system"])},
            float(r["n"]),
        )
        for r in rows["element_anomalies"]
        if r["system"] is not None
    )
    return facts
