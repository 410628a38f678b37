"""The fabric as the topology page draws it: tiers, link states, anomalies, root causes.

One statement per level (systems, links, raised anomalies, open root causes), plus the
impact engine (``blueprint_engine.impact.query``) once per open root cause, shaped by pure
functions: a link is
``down`` when a raised, non-expected anomaly of an interface-level type sits on
it, its interfaces or their transceivers (or a root cause is at one of them),
``degraded`` when another raised anomaly touches it (a BGP session over it),
``up`` when telemetry has observed it, ``unknown`` otherwise. Servers that an open
root cause's element costs connectivity or redundancy are ``impacted``, and so are the
VMs on them (``impacted_vms``); each server lists the VMs its hypervisor runs. The Grafana
impact panel, which can only run Cypher, lists the structural dependents
(``DEPENDENTS_BODY``) instead.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from api.fabric_metrics import LINK_DOWN_TYPES
from blueprint_engine.errors import NotFoundError
from blueprint_engine.graph.db import Graph, Query, Row
from blueprint_engine.impact import query as impact

SYSTEMS = Query(
    "topology.systems",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(s:System)
    OPTIONAL MATCH (s)-[:IN_RACK]->(k:Rack)
    OPTIONAL MATCH (d:Device)-[:ASSIGNED_TO]->(s)
    RETURN s {.id, .role, .hostname, .deploy_mode, rack: k.id, serial: d.serial,
              device_state: d.state, liveness: d.liveness,
              vms: COLLECT { MATCH (s)<-[:RUNS_ON]-(:Hypervisor)<-[:HOSTED_ON]-(v:Vm)
                             RETURN v.id ORDER BY v.id }} AS row
    ORDER BY s.id
    """,
)
LINKS = Query(
    "topology.links",
    """
    MATCH (l:Link {blueprint: $bp})
    MATCH (l)-[:ENDPOINT {side: 'a'}]->(ia:Interface)<-[:HAS_INTERFACE]-(sa:System)
    MATCH (l)-[:ENDPOINT {side: 'b'}]->(ib:Interface)<-[:HAS_INTERFACE]-(sb:System)
    RETURN l {.id, .role, a: sa.id, b: sb.id, a_interface: ia.id, b_interface: ib.id} AS row
    ORDER BY l.id
    """,
)
OBSERVED_LINKS = Query(
    "topology.observed_links",
    """
    MATCH (o:Observation {blueprint: $bp})-[:OBSERVES]->(x)
    WHERE o.kind IN ['interface', 'lldp', 'optics']
    MATCH (x)<-[:HAS_TRANSCEIVER*0..1]-(:Interface)<-[:ENDPOINT]-(l:Link)
    RETURN DISTINCT l.id AS link
    """,
)
# a raised anomaly with where it sits: the system it belongs to and the link it touches
ANOMALIES = Query(
    "topology.anomalies",
    """
    MATCH (a:Anomaly {blueprint: $bp, state: 'raised'})
    OPTIONAL MATCH (a)-[:ON]->(x)
    OPTIONAL MATCH (x)<-[:HAS_TRANSCEIVER*0..1]-(:Interface)<-[:ENDPOINT]-(il:Link)
    OPTIONAL MATCH (x)-[:OVER]->(sl:Link)
    OPTIONAL MATCH (r:RootCause {state: 'open'})-[:EXPLAINS]->(a)
    WITH a, x, r, coalesce(il.id, sl.id, CASE WHEN x:Link THEN x.id END) AS link
    RETURN a {.uid, .type, .subject, .device, .summary, expected: coalesce(a.expected, false),
              suppressed: coalesce(a.suppressed, false), on: head(labels(x)), link: link,
              root_cause: r.uid} AS row
    ORDER BY a.type, a.subject
    """,
)
ROOT_CAUSES = Query(
    "topology.root_causes",
    """
    MATCH (r:RootCause {blueprint: $bp, state: 'open'})
    OPTIONAL MATCH (r)-[:CAUSED_AT]->(at)
    // a cause may be recorded at several elements (transceiver, interface, link): the
    // most specific one stands for it
    WITH r, at ORDER BY CASE WHEN at:Transceiver THEN 0 WHEN at:Interface THEN 1
                             WHEN at:Link THEN 2 ELSE 3 END
    WITH r, head(collect(at)) AS x
    OPTIONAL MATCH (x)<-[:HAS_TRANSCEIVER*0..1]-(:Interface)<-[:ENDPOINT]-(l:Link)
    OPTIONAL MATCH (x)<-[:HAS_TRANSCEIVER*0..1]-(:Interface)<-[:HAS_INTERFACE]-(s:System)
    RETURN r {.uid, .kind, .subject, .summary, at: x.uid, at_id: x.id, at_kind: head(labels(x)),
              link: coalesce(l.id, CASE WHEN x:Link THEN x.id END),
              system: coalesce(s.id, CASE WHEN x:System THEN x.id END),
              symptoms: COUNT { (r)-[:EXPLAINS]->(:Anomaly) }} AS row
    ORDER BY r.uid
    """,
)
# what depends on element x (a system, link, interface or transceiver): the links through
# it, the BGP sessions over them, the servers cabled to them or behind the leaf of an
# uplink among them (they lose a path), the virtual networks of those servers' racks
DEPENDENTS_BODY = """
    MATCH (x)-[:HAS_INTERFACE|ENDPOINT|HAS_TRANSCEIVER*0..1]-(i:Interface)
    MATCH (i)<-[:ENDPOINT]-(l:Link)
    WITH DISTINCT uid, x, l
    CALL {
      WITH x, l MATCH (l)-[:ENDPOINT]->(:Interface)<-[:HAS_INTERFACE]-(v:System {role: 'server'})
      WHERE v <> x RETURN v
      UNION
      WITH x, l MATCH (l)-[:ENDPOINT]->(:Interface)<-[:HAS_INTERFACE]-(f:System {role: 'leaf'})
            -[:HAS_INTERFACE]->(:Interface)<-[:ENDPOINT]-(:Link {role: 'leaf_server'})
            -[:ENDPOINT]->(:Interface)<-[:HAS_INTERFACE]-(v:System {role: 'server'})
      WHERE l.role = 'spine_leaf' AND v <> x RETURN v
    }
    WITH uid, l, collect(v) AS servers
    CALL {
      WITH l RETURN 'link' AS kind, l.id AS id
      UNION
      WITH l MATCH (s:BgpSession)-[:OVER]->(l) RETURN 'bgp_session' AS kind, s.id AS id
      UNION
      WITH servers UNWIND servers AS v RETURN 'server' AS kind, v.id AS id
      UNION
      WITH servers UNWIND servers AS v MATCH (v)-[:IN_RACK]->(:Rack)<-[:BOUND_TO]-(n)
      RETURN 'virtual_network' AS kind, n.id AS id
    }
"""
DEPENDENTS = Query(
    "topology.dependents",
    """
    UNWIND $uids AS uid
    CALL {
      WITH uid MATCH (x:System {uid: uid}) RETURN x
      UNION WITH uid MATCH (x:Link {uid: uid}) RETURN x
      UNION WITH uid MATCH (x:Interface {uid: uid}) RETURN x
      UNION WITH uid MATCH (x:Transceiver {uid: uid}) RETURN x
    }"""
    + DEPENDENTS_BODY
    + """
    RETURN DISTINCT uid AS parent, {kind: kind, id: id} AS row
    ORDER BY row.kind, row.id
    """,
)
ELEMENT = Query(
    "topology.element",
    """
    OPTIONAL MATCH (s:System {blueprint: $bp, id: $id})
    OPTIONAL MATCH (l:Link {blueprint: $bp, id: $id})
    WITH coalesce(s, l) AS x
    WHERE x IS NOT NULL
    OPTIONAL MATCH (x)-[:ENDPOINT]->(:Interface)<-[:HAS_INTERFACE]-(e:System)
    WITH x, CASE WHEN x:System THEN [x] ELSE collect(DISTINCT e) END AS systems
    RETURN x.uid AS uid, head(labels(x)) AS kind, [y IN systems | y.id] AS systems
    """,
)
CONFIGS = Query(
    "topology.configs",
    """
    UNWIND $systems AS sid
    MATCH (s:System {blueprint: $bp, id: sid})
    OPTIONAL MATCH (d:Device)-[:ASSIGNED_TO]->(s)
    OPTIONAL MATCH (d)-[:HAS_CONFIG]->(dc:Config)
    WITH s, collect({stage: dc.stage, text: dc.text}) AS device_configs
    OPTIONAL MATCH (s)-[:HAS_CONFIG]->(sc:Config)
    WITH s, device_configs, collect({stage: sc.stage, text: sc.text}) AS system_configs
    UNWIND device_configs + system_configs AS c
    WITH s, c WHERE c.stage IS NOT NULL
    RETURN s.id AS system, c.stage AS stage, c.text AS text
    """,
)
ELEMENT_ANOMALIES = Query(
    "topology.element_anomalies",
    """
    WITH $uid AS uid
    CALL {
      WITH uid MATCH (x:System {uid: uid}) RETURN x
      UNION WITH uid MATCH (x:Link {uid: uid}) RETURN x
      UNION WITH uid MATCH (x:Interface {uid: uid}) RETURN x
      UNION WITH uid MATCH (x:Transceiver {uid: uid}) RETURN x
    }
    MATCH (a:Anomaly {blueprint: $bp})-[:ON]->(y)
    WHERE y = x
       OR (x)-[:HAS_INTERFACE|ENDPOINT]->(y)
       OR (x)-[:HAS_INTERFACE|ENDPOINT]->(:Interface)-[:HAS_TRANSCEIVER]->(y)
       OR (y:BgpSession AND ((y)-[:OVER]->(x) OR (y)-[:PEER]->(x)))
    OPTIONAL MATCH (r:RootCause {state: 'open'})-[:EXPLAINS]->(a)
    RETURN a {.uid, .type, .subject, .device, .summary, .state,
              expected: coalesce(a.expected, false), suppressed: coalesce(a.suppressed, false),
              on: head(labels(y)), link: NULL, root_cause: r.uid} AS row
    ORDER BY a.state DESC, a.type
    """,
)
STAGE_ORDER = (
    "pristine",
    "discovery1",
    "discovery2",
    "rendered",
    "incremental",
    "service",
    "drain",
    "golden",
)


@dataclass
class Topology:
    blueprint: str
    systems: list[Row]
    links: list[Row]
    anomalies: list[Row]
    root_causes: list[Row]
    impacted: list[str] = field(default_factory=list)
    impacted_vms: list[str] = field(default_factory=list)


def link_states(
    links: list[Row], anomalies: list[Row], causes: list[Row], observed: set[str]
) -> dict[str, str]:
    """Pure: {link id: up | down | degraded | unknown}."""
    down = {c["link"] for c in causes if c.get("link")}
    touched: set[str] = set()
    for a in anomalies:
        if not a.get("link") or a.get("expected") or a.get("suppressed"):
            continue
        (down if a["type"] in LINK_DOWN_TYPES else touched).add(a["link"])
    states = {}
    for link in links:
        lid = link["id"]
        if lid in down:
            states[lid] = "down"
        elif lid in touched:
            states[lid] = "degraded"
        else:
            states[lid] = "up" if lid in observed else "unknown"
    return states


def impacted(
    causes: list[Row], dependents: dict[str, list[Row]], kinds: tuple[str, ...]
) -> list[str]:
    """Pure: the ids of ``kinds`` (servers, VMs) an open root cause's element costs
    connectivity or redundancy."""
    found = {
        d["id"]
        for c in causes
        if c.get("at")
        for d in dependents.get(c["at"], [])
        if d["kind"] in kinds
    }
    return sorted(found)


SERVER_EFFECTS = ("server_losing_connectivity", "server_losing_redundancy")
VM_EFFECTS = ("vm_losing_connectivity", "vm_losing_redundancy")
ELEMENT_KINDS = {
    "Transceiver": "transceiver",
    "Interface": "interface",
    "Link": "link",
    "System": "system",
}


def impact_rows(graph: Graph, bp: str, label: str, element_id: str) -> list[Row]:
    """The impact engine's answer for one element, flattened to {kind, id} rows."""
    result = impact.impact(graph, bp, ELEMENT_KINDS[label], element_id)
    rows = [{"kind": "link", "id": x.id} for x in result.links]
    rows += [{"kind": "bgp_session", "id": x.id} for x in result.bgp_sessions]
    rows += [{"kind": "system", "id": x.id} for x in result.systems]
    rows += [{"kind": SERVER_EFFECTS[0], "id": x.id} for x in result.servers_losing_connectivity]
    rows += [{"kind": SERVER_EFFECTS[1], "id": x.id} for x in result.servers_losing_redundancy]
    rows += [{"kind": "virtual_network", "id": x.id} for x in result.virtual_networks]
    rows += [{"kind": VM_EFFECTS[0], "id": v.id} for v in result.vms_losing_connectivity]
    rows += [{"kind": VM_EFFECTS[1], "id": v.id} for v in result.vms_losing_redundancy]
    return rows


def dependents(graph: Graph, uids: list[str]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = defaultdict(list)
    if uids:
        for r in graph.read(DEPENDENTS, uids=uids):
            out[r["parent"]].append(dict(r["row"]))
    return out


def read_topology(graph: Graph, bp: str) -> Topology:
    def rows(q: Query) -> list[Row]:
        return [dict(r["row"]) for r in graph.read(q, bp=bp)]

    systems = rows(SYSTEMS)
    if not systems:
        raise NotFoundError(
            f"no blueprint named {bp!r} (or it has no systems)",
            allowed="an existing blueprint name",
        )
    links, anomalies, causes = rows(LINKS), rows(ANOMALIES), rows(ROOT_CAUSES)
    observed = {r["link"] for r in graph.read(OBSERVED_LINKS, bp=bp)}
    states = link_states(links, anomalies, causes, observed)
    for link in links:
        link["state"] = states[link["id"]]
    deps = {
        c["at"]: impact_rows(graph, bp, c["at_kind"], c["at_id"])
        for c in causes
        if c.get("at_kind") in ELEMENT_KINDS
    }
    servers = impacted(causes, deps, ("server", *SERVER_EFFECTS))
    return Topology(
        bp, systems, links, anomalies, causes, servers, impacted(causes, deps, VM_EFFECTS)
    )


@dataclass
class Element:
    id: str
    kind: str
    configs: list[Row]
    anomalies: list[Row]
    dependents: list[Row]


def read_element(graph: Graph, bp: str, element_id: str) -> Element:
    found = graph.read(ELEMENT, bp=bp, id=element_id)
    if not found:
        raise NotFoundError(
            f"no system or link {element_id!r} in blueprint {bp!r}",
            allowed="a system id (spine1) or a link id from the topology",
        )
    uid, kind, systems = found[0]["uid"], found[0]["kind"], found[0]["systems"]
    configs = graph.read(CONFIGS, bp=bp, systems=systems)
    order = {s: i for i, s in enumerate(STAGE_ORDER)}
    configs.sort(key=lambda c: (systems.index(c["system"]), order.get(c["stage"], 99)))
    anomalies = [dict(r["row"]) for r in graph.read(ELEMENT_ANOMALIES, bp=bp, uid=uid)]
    return Element(element_id, kind, configs, anomalies, impact_rows(graph, bp, kind, element_id))


def as_dict(topology: Topology) -> dict[str, Any]:
    return {
        "blueprint": topology.blueprint,
        "systems": topology.systems,
        "links": topology.links,
        "anomalies": topology.anomalies,
        "root_causes": topology.root_causes,
        "impacted": topology.impacted,
        "impacted_vms": topology.impacted_vms,
    }
