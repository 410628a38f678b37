"""Reads of the virtual inventory: the checks' facts, VMs by server, VM listings.

Each is one named statement; listings are filtered by exactly one of a virtual
network, a hypervisor or a routing zone (or none: every VM of the blueprint), in
pages of at most ``MAX_PAGE`` VMs ordered by id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from blueprint_engine.errors import NotFoundError, ValidationError
from blueprint_engine.graph.db import Graph, Query, Tx
from blueprint_engine.virtual.checks import NetworkFacts, PortEnd, VnicFacts
from blueprint_engine.virtual.inventory import Inventory

MAX_PAGE = 1000

VNIC_FACTS = Query(
    "virtual.check.vnics",
    """
    MATCH (v:Vm {blueprint: $bp}) WHERE $skip IS NULL OR v.source <> $skip
    MATCH (v)-[:HOSTED_ON]->(h:Hypervisor)
    MATCH (v)-[:HAS_VNIC]->(n:Vnic)
    OPTIONAL MATCH (n)-[:ATTACHED_TO]->(w:VirtualSwitch)
    RETURN n.id AS vnic, v.id AS vm, v.name AS name, h.server AS server, n.vlan AS vlan,
           w.id AS switch, coalesce(w.uplinks, []) AS uplinks
    """,
)
SERVER_RACKS = Query(
    "virtual.check.server_racks",
    """
    MATCH (:Hypervisor {blueprint: $bp})-[:RUNS_ON]->(s:System)
    RETURN s.id AS server,
           COLLECT { MATCH (s)-[:HAS_INTERFACE]->(:Interface)<-[:ENDPOINT]-(:Link)
                           -[:ENDPOINT]->(:Interface)<-[:HAS_INTERFACE]-
                           (:System {role: 'leaf'})-[:IN_RACK]->(k:Rack)
                     RETURN DISTINCT k.id } AS racks
    """,
)
SERVER_PORTS = Query(
    "virtual.check.server_ports",
    """
    MATCH (:Hypervisor {blueprint: $bp})-[:RUNS_ON]->(s:System)-[:IN_RACK]->(r:Rack)
    WHERE r.server_attachment IN ['access', 'trunk']  // a routed server's VMs are not checked
    MATCH (s)-[:HAS_INTERFACE]->(i:Interface)
    RETURN s.id AS server, i.name AS ifname,
           COLLECT { MATCH (i)<-[:ENDPOINT]-(:Link)-[:ENDPOINT]->(:Interface)
                           <-[:HAS_INTERFACE]-(:System {role: 'leaf'})-[:IN_RACK]->(k:Rack)
                     RETURN DISTINCT [k.id, coalesce(k.server_attachment, 'routed')] } AS ends
    """,
)
NETWORKS = Query(
    "virtual.check.networks",
    """
    MATCH (v:VirtualNetwork {blueprint: $bp})
    RETURN v.id AS id, v.vlan AS vlan, [(v)-[:BOUND_TO]->(k:Rack) | k.id] AS racks
    """,
)
VMS_ON_SERVERS = Query(
    "virtual.vms_on_servers",
    """
    UNWIND $servers AS sid
    MATCH (s:System {uid: $bp + '/' + sid})<-[:RUNS_ON]-(h:Hypervisor)<-[:HOSTED_ON]-(v:Vm)
    RETURN sid AS server, v.id AS id, v.name AS name, v.state AS state, h.id AS hypervisor,
           [(v)-[:HAS_VNIC]->(n:Vnic) WHERE n.network IS NOT NULL | n.network] AS networks
    """,
)
_VM = """
    RETURN v.id AS id, v.name AS name, v.source AS source, v.state AS state,
           h.id AS hypervisor, h.server AS server,
           [(h)-[:RUNS_ON]->(s:System)-[:IN_RACK]->(k:Rack) | k.id][0] AS rack,
           [(v)-[:HAS_VNIC]->(n:Vnic) | n {.id, .mac, .ips, .vlan, .port_group,
              network: [(n)-[:IN_NETWORK]->(x:VirtualNetwork) | x.id][0],
              routing_zone: [(n)-[:IN_NETWORK]->(:VirtualNetwork)-[:IN_ZONE]->(z:RoutingZone)
                             | z.id][0]}] AS vnics
    ORDER BY id SKIP $offset LIMIT $limit
"""
LIST = {
    "all": Query(
        "virtual.list.all",
        "MATCH (v:Vm {blueprint: $bp})-[:HOSTED_ON]->(h:Hypervisor) WITH v, h" + _VM,
    ),
    "network": Query(
        "virtual.list.network",
        """
        MATCH (:VirtualNetwork {uid: $bp + '/' + $key})<-[:IN_NETWORK]-(:Vnic)<-[:HAS_VNIC]-(v:Vm)
        WITH DISTINCT v MATCH (v)-[:HOSTED_ON]->(h:Hypervisor) WITH v, h"""
        + _VM,
    ),
    "hypervisor": Query(
        "virtual.list.hypervisor",
        "MATCH (h:Hypervisor {uid: $bp + '/' + $key})<-[:HOSTED_ON]-(v:Vm) WITH v, h" + _VM,
    ),
    "routing_zone": Query(
        "virtual.list.routing_zone",
        """
        MATCH (:RoutingZone {uid: $bp + '/' + $key})<-[:IN_ZONE]-(:VirtualNetwork)
              <-[:IN_NETWORK]-(:Vnic)<-[:HAS_VNIC]-(v:Vm)
        WITH DISTINCT v MATCH (v)-[:HOSTED_ON]->(h:Hypervisor) WITH v, h"""
        + _VM,
    ),
}
LABEL = {"network": "VirtualNetwork", "hypervisor": "Hypervisor", "routing_zone": "RoutingZone"}
EXISTS = {
    kind: Query(
        f"virtual.list.exists.{kind}",
        f"""
        OPTIONAL MATCH (b:Blueprint {{name: $bp}})
        RETURN b IS NOT NULL AS blueprint,
               COLLECT {{ MATCH (n:{label} {{uid: $bp + '/' + $key}}) RETURN 1 }} <> [] AS found,
               COLLECT {{ MATCH (n:{label} {{blueprint: $bp}})
                         RETURN n.id ORDER BY n.id LIMIT 5 }} AS examples
        """,
    )
    for kind, label in LABEL.items()
}
BLUEPRINT = Query(
    "virtual.list.blueprint",
    "OPTIONAL MATCH (b:Blueprint {name: $bp}) RETURN b IS NOT NULL AS blueprint",
)


@dataclass(frozen=True)
class CheckFacts:
    vnics: list[VnicFacts]
    server_racks: dict[str, list[str]]
    networks: list[NetworkFacts]
    server_ports: dict[str, dict[str, list[PortEnd]]]


def check_facts(graph: Graph, bp: str, known: Inventory | None = None) -> CheckFacts:
    """What the checks read; the vNICs of ``known`` (a source's inventory just written)
    come from it rather than from the graph."""
    vnics = [
        VnicFacts(
            r["vnic"],
            r["vm"],
            r["name"],
            r["server"],
            r["vlan"],
            r["switch"],
            tuple(r["uplinks"]),
        )
        for r in graph.read(VNIC_FACTS, bp=bp, skip=None if known is None else known.source)
    ]
    if known is not None:
        vnics += vnic_facts(known)
    racks = {r["server"]: list(r["racks"]) for r in graph.read(SERVER_RACKS, bp=bp)}
    networks = [
        NetworkFacts(r["id"], int(r["vlan"]), tuple(sorted(r["racks"])))
        for r in graph.read(NETWORKS, bp=bp)
        if r["vlan"] is not None
    ]
    ports: dict[str, dict[str, list[PortEnd]]] = {}
    for r in graph.read(SERVER_PORTS, bp=bp):
        ports.setdefault(r["server"], {})[r["ifname"]] = [PortEnd(k, a) for k, a in r["ends"]]
    return CheckFacts(vnics, racks, networks, ports)


def vnic_facts(inventory: Inventory) -> list[VnicFacts]:
    src = inventory.source
    servers = {h.id: h.server for h in inventory.hypervisors}
    uplinks = {(h.id, w.name): w.uplinks for h in inventory.hypervisors for w in h.switches}
    return [
        VnicFacts(
            f"{src}/{vm.id}/{n.id}",
            f"{src}/{vm.id}",
            vm.name,
            servers[vm.hypervisor],
            n.vlan,
            None if n.switch is None else f"{src}/{vm.hypervisor}/{n.switch}",
            uplinks.get((vm.hypervisor, n.switch or ""), ()),
        )
        for vm in inventory.vms
        for n in vm.vnics
    ]


def vms_on_servers(
    graph: Graph, bp: str, servers: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """The VMs of each server (through its hypervisor), with the networks of their vNICs."""
    if not servers:
        return {}
    return graph.read_tx(lambda tx: vms_on_servers_in(graph, tx, bp, servers))


def vms_on_servers_in(
    graph: Graph, tx: Tx, bp: str, servers: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """``vms_on_servers`` in the caller's transaction ``tx``."""
    out: dict[str, list[dict[str, Any]]] = {}
    if not servers:
        return out
    for r in graph.run(tx, VMS_ON_SERVERS, bp=bp, servers=sorted(set(servers))):
        out.setdefault(r["server"], []).append(r)
    return out


def list_vms(
    graph: Graph,
    bp: str,
    *,
    network: str | None = None,
    hypervisor: str | None = None,
    routing_zone: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """VMs of ``bp`` in a network, on a hypervisor or in a routing zone (at most one)."""
    given = {
        k: v
        for k, v in (
            ("network", network),
            ("hypervisor", hypervisor),
            ("routing_zone", routing_zone),
        )
        if v is not None
    }
    if len(given) > 1:
        raise ValidationError(
            f"VMs are listed by one filter, not {' and '.join(sorted(given))}",
            allowed="one of network, hypervisor, routing_zone (or none)",
        )
    if not 1 <= limit <= MAX_PAGE or not 0 <= offset <= 10_000_000:
        raise ValidationError(
            f"limit {limit} / offset {offset} out of range",
            allowed=f"limit 1..{MAX_PAGE}, offset 0..10000000",
        )
    kind, key = next(iter(given.items()), ("all", ""))
    rows = graph.read(LIST[kind], bp=bp, key=key, limit=limit, offset=offset)
    if not rows:
        _check_exists(graph, bp, kind, key)
    return rows


def _check_exists(graph: Graph, bp: str, kind: str, key: str) -> None:
    row = graph.read(EXISTS.get(kind, BLUEPRINT), bp=bp, key=key)[0]
    if not row["blueprint"]:
        raise NotFoundError(f"no blueprint named {bp!r}", allowed="an existing blueprint")
    if kind != "all" and not row["found"]:
        examples = ", ".join(repr(e) for e in row["examples"]) or f"none in {bp!r}"
        raise NotFoundError(
            f"no {kind.replace('_', ' ')} {key!r} in blueprint {bp!r}", allowed=examples
        )
