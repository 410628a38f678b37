"""Write a ``BlueprintDesign`` into Neo4j in batches, and read blueprint summaries.

Every intent node gets ``uid = "<blueprint>/<id>"``, ``id`` and ``blueprint``;
resources are ``Resource {key: "<blueprint>/<pool>/<value>"}`` nodes whose
uniqueness constraint makes a double allocation impossible in the graph itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from neo4j import ManagedTransaction

from blueprint_engine.design.model import (
    BgpSession,
    BlueprintDesign,
    Interface,
    Link,
    System,
    Transceiver,
)
from blueprint_engine.errors import ConflictError, NotFoundError
from blueprint_engine.graph.db import Graph, Query, Row, Tx
from blueprint_engine.reads import sort_key

BATCH = 5000

# A new blueprint's intent is written once, into a blueprint created just before
# (CREATE_BLUEPRINT refuses an existing name), hence CREATE, not MERGE.

CREATE_BLUEPRINT = Query(
    "blueprint.create",
    """
    OPTIONAL MATCH (existing:Blueprint {name: $name})
    WITH existing WHERE existing IS NULL
    CREATE (b:Blueprint {name: $name, template: $template, overlay: $overlay,
                         stages: $stages, planes: $planes, asn_scheme: $asn_scheme,
                         staged_version: 0, active_revision: 0, created_at: datetime()})
    RETURN b.name AS name
    """,
)
CREATE_PODS = Query(
    "blueprint.pods",
    """
    MATCH (b:Blueprint {name: $bp})
    UNWIND $rows AS r
    CREATE (p:Pod {uid: $bp + '/' + r.id, blueprint: $bp, id: r.id, template: r.template,
                   asn: r.asn})
    CREATE (b)-[:HAS_POD]->(p)
    """,
)
CREATE_RACKS = Query(
    "blueprint.racks",
    """
    MATCH (b:Blueprint {name: $bp})
    UNWIND $rows AS r
    CREATE (k:Rack {uid: $bp + '/' + r.id, blueprint: $bp, id: r.id, rack_type: r.rack_type,
                    redundancy: r.redundancy, pod: r.pod,
                    server_attachment: r.server_attachment})
    CREATE (b)-[:HAS_RACK]->(k)
    WITH k, r WHERE r.pod IS NOT NULL
    MATCH (p:Pod {uid: $bp + '/' + r.pod})
    CREATE (k)-[:IN_POD]->(p)
    """,
)
CREATE_SYSTEMS = Query(
    "blueprint.systems",
    """
    MATCH (b:Blueprint {name: $bp})
    UNWIND $rows AS r
    CREATE (s:System {uid: $bp + '/' + r.id, blueprint: $bp, id: r.id, hostname: r.hostname,
                      role: r.role, logical_device: r.logical_device,
                      device_profile: r.device_profile, asn: r.asn, loopback: r.loopback,
                      ports: r.ports, pod: r.pod, plane: r.plane, deploy_mode: 'not_set',
                      sort_key: r.sort_key})
    CREATE (b)-[:HAS_SYSTEM]->(s)
    WITH s, r WHERE r.rack IS NOT NULL
    MATCH (k:Rack {uid: $bp + '/' + r.rack})
    CREATE (s)-[:IN_RACK]->(k)
    """,
)
CREATE_INTERFACES = Query(
    "blueprint.interfaces",
    """
    UNWIND $rows AS r
    MATCH (s:System {uid: $bp + '/' + r.system})
    CREATE (i:Interface {uid: $bp + '/' + r.id, blueprint: $bp, id: r.id, system: r.system,
                         name: r.name, speed_mbps: r.speed_mbps, ipv4: r.ipv4,
                         breakouts: r.breakouts, sort_key: r.sort_key})
    CREATE (s)-[:HAS_INTERFACE]->(i)
    """,
)
# the unused ports of systems, from one row per system naming its shape (an index into
# $shapes, each a list of {name, speed_mbps, breakouts, sort_key}): one system lookup for
# all its ports; ids are "<system>:<name>" (no address, no optic)
CREATE_UNUSED_PORTS = Query(
    "blueprint.unused_ports",
    """
    UNWIND $rows AS r
    MATCH (s:System {uid: $bp + '/' + r.system})
    UNWIND $shapes[r.shape] AS p
    WITH s, r.system + ':' + p.name AS id, p
    CREATE (i:Interface {uid: $bp + '/' + id, blueprint: $bp, id: id, system: s.id,
                         name: p.name, speed_mbps: p.speed_mbps, breakouts: p.breakouts,
                         sort_key: p.sort_key})
    CREATE (s)-[:HAS_INTERFACE]->(i)
    """,
)
# the ports of a blueprint being created, with their optics: one row per system
CREATE_PORTS_NEW = Query(
    "blueprint.ports_new",
    """
    UNWIND $rows AS r
    MATCH (s:System {uid: $bp + '/' + r.system})
    UNWIND r.ports AS p
    CREATE (i:Interface {uid: $bp + '/' + p.id, blueprint: $bp, id: p.id, system: p.system,
                         name: p.name, speed_mbps: p.speed_mbps, ipv4: p.ipv4,
                         breakouts: p.breakouts, sort_key: p.sort_key})
    CREATE (s)-[:HAS_INTERFACE]->(i)
    WITH i, p UNWIND p.optics AS x
    CREATE (i)-[:HAS_TRANSCEIVER]->(:Transceiver {uid: $bp + '/' + x.id, blueprint: $bp,
                                                  id: x.id, media: x.media})
    """,
)
# a port that exists already (a spine's unused port an added rack cables): its address
CABLE_PORTS = Query(
    "blueprint.cable_ports",
    """
    UNWIND $rows AS r
    MATCH (i:Interface {uid: $bp + '/' + r.id})
    SET i.ipv4 = r.ipv4
    """,
)
MERGE_TRANSCEIVERS = Query(
    "blueprint.transceivers",
    """
    UNWIND $rows AS r
    MATCH (i:Interface {uid: $bp + '/' + r.interface})
    // an existing port may hold its optic already (a port freed by a re-cabling)
    MERGE (x:Transceiver {uid: $bp + '/' + r.id})
    ON CREATE SET x.blueprint = $bp, x.id = r.id, x.media = r.media
    MERGE (i)-[:HAS_TRANSCEIVER]->(x)
    """,
)
# the same for a blueprint being created (no port holds an optic yet): CREATE, no lookup
# of an existing optic or relationship per row
CREATE_TRANSCEIVERS = Query(
    "blueprint.transceivers_new",
    """
    UNWIND $rows AS r
    MATCH (i:Interface {uid: $bp + '/' + r.interface})
    CREATE (i)-[:HAS_TRANSCEIVER]->(:Transceiver {uid: $bp + '/' + r.id, blueprint: $bp,
                                                  id: r.id, media: r.media})
    """,
)
CREATE_LINKS = Query(
    "blueprint.links",
    """
    UNWIND $rows AS r
    MATCH (a:Interface {uid: $bp + '/' + r.a}), (z:Interface {uid: $bp + '/' + r.b})
    CREATE (l:Link {uid: $bp + '/' + r.id, blueprint: $bp, id: r.id, role: r.role,
                    speed_mbps: r.speed_mbps, subnet: r.subnet, sort_key: r.sort_key,
                    layer: r.layer})
    CREATE (l)-[:ENDPOINT {side: 'a'}]->(a), (l)-[:ENDPOINT {side: 'b'}]->(z)
    """,
)
CREATE_SESSIONS = Query(
    "blueprint.sessions",
    """
    UNWIND $rows AS r
    MATCH (a:System {uid: $bp + '/' + r.a}), (z:System {uid: $bp + '/' + r.b})
    CREATE (s:BgpSession {uid: $bp + '/' + r.id, blueprint: $bp, id: r.id, afi: r.afi,
                          a_ip: r.a_ip, b_ip: r.b_ip, a_asn: r.a_asn, b_asn: r.b_asn})
    CREATE (s)-[:PEER {side: 'a'}]->(a), (s)-[:PEER {side: 'b'}]->(z)
    WITH s, r WHERE r.link IS NOT NULL
    MATCH (l:Link {uid: $bp + '/' + r.link})
    CREATE (s)-[:OVER]->(l)
    """,
)
CREATE_ZONES = Query(
    "blueprint.routing_zones",
    """
    UNWIND $rows AS r
    CREATE (:RoutingZone {uid: $bp + '/' + r.id, blueprint: $bp, id: r.id, vrf: r.vrf,
                          vni: r.vni})
    """,
)
CREATE_VNS = Query(
    "blueprint.virtual_networks",
    """
    UNWIND $rows AS r
    MATCH (z:RoutingZone {uid: $bp + '/' + r.routing_zone})
    CREATE (v:VirtualNetwork {uid: $bp + '/' + r.id, blueprint: $bp, id: r.id, vlan: r.vlan,
                              vni: r.vni, subnet: r.subnet, rack_gateways: r.gateways})
    CREATE (v)-[:IN_ZONE]->(z)
    WITH v, r UNWIND r.racks AS rack
    MATCH (k:Rack {uid: $bp + '/' + rack})
    CREATE (v)-[:BOUND_TO]->(k)
    """,
)
CREATE_POOLS = Query(
    "blueprint.pools",
    """
    MATCH (b:Blueprint {name: $bp})
    UNWIND $rows AS r
    CREATE (p:Pool {uid: $bp + '/' + r.id, blueprint: $bp, id: r.id, kind: r.kind,
                    ranges: r.ranges, prefix_len: r.prefix_len, policy: r.policy})
    CREATE (b)-[:HAS_POOL]->(p)
    """,
)
# the last value handed out per pool, so policy sequential_from_last continues after it
SET_POOL_LAST = Query(
    "blueprint.pool_last",
    """
    UNWIND $rows AS r
    MATCH (p:Pool {uid: $bp + '/' + r.pool})
    SET p.last = r.value
    """,
)
OWNER_LABELS = (
    "Blueprint",
    "Pod",
    "System",
    "Link",
    "Interface",
    "VirtualNetwork",
    "Rack",
    "RoutingZone",
)


def _allocation_query(owner_label: str) -> Query:
    # the label is one of OWNER_LABELS (a schema name, never a value); a blueprint-wide
    # resource (the spine layer's ASN) is held by the Blueprint node itself
    owner = "{name: $bp}" if owner_label == "Blueprint" else "{uid: $bp + '/' + r.owner}"
    return Query(
        f"blueprint.allocations.{owner_label}",
        f"""
        UNWIND $rows AS r
        MATCH (p:Pool {{uid: $bp + '/' + r.pool}})
        MATCH (o:{owner_label} {owner})
        CREATE (x:Resource {{key: $bp + '/' + r.pool + '/' + r.value, blueprint: $bp,
                             pool: r.pool, value: r.value, owner: r.owner}})
        CREATE (p)-[:ALLOCATED]->(x)-[:HELD_BY]->(o)
        """,
    )


CREATE_ALLOCATIONS = {label: _allocation_query(label) for label in OWNER_LABELS}
SUMMARY = Query(
    "blueprint.summary",
    """
    MATCH (b:Blueprint {name: $bp})
    RETURN b.name AS name, b.template AS template, b.overlay AS overlay,
           b.staged_version AS staged_version, b.active_revision AS active_revision,
           b.stages AS stages, b.planes AS planes,
           COUNT { (b)-[:HAS_POD]->() } AS pods,
           COUNT { (b)-[:HAS_RACK]->() } AS racks,
           COUNT { (b)-[:HAS_SYSTEM]->(:System {role: 'superspine'}) } AS superspines,
           COUNT { (b)-[:HAS_SYSTEM]->(:System {role: 'spine'}) } AS spines,
           COUNT { (b)-[:HAS_SYSTEM]->(:System {role: 'leaf'}) } AS leafs,
           COUNT { (b)-[:HAS_SYSTEM]->(:System {role: 'server'}) } AS servers,
           COUNT { (l:Link {blueprint: $bp}) } AS links,
           COUNT { (s:BgpSession {blueprint: $bp}) } AS bgp_sessions,
           COUNT { (r:Resource {blueprint: $bp}) } AS resources
    """,
)
LIST_BLUEPRINTS = Query("blueprint.list", "MATCH (b:Blueprint) RETURN b.name AS name ORDER BY name")
DELETE_BATCH = Query(
    "blueprint.delete_batch",
    """
    MATCH (n {blueprint: $bp}) WITH n LIMIT $limit
    DETACH DELETE n RETURN count(*) AS deleted
    """,
)
DELETE_CONFIGS = Query(
    "blueprint.delete_configs",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(:System)-[:HAS_CONFIG]->(c:Config)
    DETACH DELETE c
    """,
)
DELETE_BLUEPRINT = Query(
    "blueprint.delete", "MATCH (b:Blueprint {name: $bp}) DETACH DELETE b RETURN count(*) AS n"
)


@dataclass(frozen=True)
class Statement:
    """One statement of a design's write with its rows; ``shared``: parameters every batch
    of it carries besides ``bp`` and ``rows``; ``weights``: the nodes each row creates,
    when a row creates more than one."""

    query: Query
    rows: list[dict[str, Any]]
    shared: Mapping[str, Any] = field(default_factory=dict)
    weights: list[int] | None = None

    def batches(self) -> Iterator[tuple[list[dict[str, Any]], int]]:
        """The rows in batches of at most ``BATCH`` nodes (at least one row each), with
        the nodes of each."""
        if self.weights is None:
            for start in range(0, len(self.rows), BATCH):
                batch = self.rows[start : start + BATCH]
                yield batch, len(batch)
            return
        pending: list[dict[str, Any]] = []
        size = 0
        for row, weight in zip(self.rows, self.weights, strict=True):
            if pending and size + weight > BATCH:
                yield pending, size
                pending, size = [], 0
            pending.append(row)
            size += weight
        if pending:
            yield pending, size

    def run(self, graph: Graph, tx: Tx, bp: str, rows: list[dict[str, Any]]) -> None:
        graph.run(tx, self.query, bp=bp, rows=rows, **self.shared)


def design_rows(design: BlueprintDesign, fresh: bool = False) -> list[Statement]:
    """The ordered statements, with their rows, that write a design; pure. ``fresh``: the
    design is a whole blueprint being created (nothing of it exists yet)."""
    ports, unused = _split_ports(design)
    return [
        Statement(
            CREATE_PODS, [{"id": p.id, "template": p.template, "asn": p.asn} for p in design.pods]
        ),
        Statement(
            CREATE_RACKS,
            [
                {
                    "id": k.id,
                    "rack_type": k.rack_type,
                    "redundancy": k.redundancy,
                    "pod": k.pod,
                    "server_attachment": k.server_attachment,
                }
                for k in design.racks
            ],
        ),
        Statement(CREATE_SYSTEMS, [_system_row(s) for s in design.systems]),
        *(_new_ports(ports, design.transceivers) if fresh else _added_ports(ports, design)),
        unused,
        Statement(CREATE_LINKS, [_link_row(link) for link in design.links]),
        Statement(CREATE_SESSIONS, [_session_row(s) for s in design.sessions]),
        Statement(
            CREATE_ZONES,
            [{"id": z.id, "vrf": z.vrf, "vni": z.vni} for z in design.routing_zones],
        ),
        Statement(
            CREATE_VNS,
            [
                {
                    "id": v.id,
                    "vlan": v.vlan,
                    "vni": v.vni,
                    "subnet": v.subnet,
                    "routing_zone": v.routing_zone,
                    "racks": list(v.racks),
                    "gateways": json.dumps(dict(v.rack_gateways)),
                }
                for v in design.virtual_networks
            ],
        ),
        Statement(
            CREATE_POOLS,
            [
                {
                    "id": p.id,
                    "kind": p.kind,
                    "ranges": list(p.ranges),
                    "prefix_len": p.prefix_len,
                    "policy": p.policy,
                }
                for p in design.pools
            ],
        ),
        *_allocation_rows(design),
        Statement(SET_POOL_LAST, _last_rows(design)),
    ]


def _system_row(s: System) -> dict[str, Any]:
    return {
        "id": s.id,
        "hostname": s.hostname,
        "role": str(s.role),
        "rack": s.rack,
        "logical_device": s.logical_device,
        "device_profile": s.device_profile,
        "asn": s.asn,
        "loopback": s.loopback,
        "ports": list(s.ports),
        "pod": s.pod,
        "plane": s.plane,
        "sort_key": sort_key(s.id),
    }


def _interface_row(i: Interface) -> dict[str, Any]:
    return {
        "id": i.id,
        "system": i.system,
        "name": i.name,
        "speed_mbps": i.speed_mbps,
        "ipv4": i.ipv4,
        "breakouts": list(i.breakouts),
        "sort_key": sort_key(i.name),
    }


def _added_ports(ports: list[Interface], design: BlueprintDesign) -> list[Statement]:
    """Ports added to a blueprint (a fragment's): a row each, then their optics (a port
    may hold one already)."""
    return [
        Statement(CREATE_INTERFACES, [_interface_row(i) for i in ports]),
        Statement(
            MERGE_TRANSCEIVERS,
            [{"id": x.id, "interface": x.interface, "media": x.media} for x in design.transceivers],
        ),
    ]


def _new_ports(ports: list[Interface], transceivers: list[Transceiver]) -> list[Statement]:
    """The ports of a blueprint being created, with their optics: one row per system with
    its ports, each with its optics (one lookup of the system for all its ports, none of
    a port for its optic); optics of a port not among ``ports`` follow, a row each."""
    optics: dict[str, list[dict[str, str]]] = {}
    for x in transceivers:
        optics.setdefault(x.interface, []).append({"id": x.id, "media": x.media})
    by_system: dict[str, list[dict[str, Any]]] = {}
    weights: dict[str, int] = {}
    for i in ports:
        row = _interface_row(i)
        row["optics"] = optics.pop(i.id, [])
        by_system.setdefault(i.system, []).append(row)
        weights[i.system] = weights.get(i.system, 0) + 1 + len(row["optics"])
    rows: list[dict[str, Any]] = [
        {"system": system, "ports": system_ports} for system, system_ports in by_system.items()
    ]
    rest = [
        {"id": x.id, "interface": x.interface, "media": x.media}
        for x in transceivers
        if x.interface in optics
    ]
    return [
        Statement(CREATE_PORTS_NEW, rows, weights=[weights[r["system"]] for r in rows]),
        Statement(CREATE_TRANSCEIVERS, rest),
    ]


def _link_row(link: Link) -> dict[str, Any]:
    return {
        "id": link.id,
        "a": link.a,
        "b": link.b,
        "role": str(link.role),
        "speed_mbps": link.speed_mbps,
        "subnet": link.subnet,
        "layer": link.layer,
        "sort_key": sort_key(link.id),
    }


def _session_row(s: BgpSession) -> dict[str, Any]:
    return {
        "id": s.id,
        "a": s.a,
        "b": s.b,
        "a_ip": s.a_ip,
        "b_ip": s.b_ip,
        "a_asn": s.a_asn,
        "b_asn": s.b_asn,
        "afi": s.afi,
        "link": s.link,
    }


Shape = tuple[tuple[str, int, tuple[str, ...]], ...]  # (name, speed, breakouts) per port


def _split_ports(design: BlueprintDesign) -> tuple[list[Interface], Statement]:
    """The design's interfaces that get rows of their own (those cabled, addressed or
    holding an optic), and a statement creating the others (unused ports) from one row
    per system naming its *shape*: the names, speeds and breakouts of its unused ports,
    which the switches of one device profile share. The server creates each system's
    unused ports with one lookup of it, in the design's order."""
    held = {link.a for link in design.links} | {link.b for link in design.links}
    held.update(x.interface for x in design.transceivers)
    ports: list[Interface] = []
    by_system: dict[str, list[Interface]] = {}
    for i in design.interfaces:
        if i.ipv4 is None and i.id not in held and i.id == f"{i.system}:{i.name}":
            by_system.setdefault(i.system, []).append(i)
        else:
            ports.append(i)
    shapes: dict[Shape, int] = {}
    rows: list[dict[str, Any]] = []
    weights: list[int] = []
    for system, unused in by_system.items():
        shape = tuple((i.name, i.speed_mbps, i.breakouts) for i in unused)
        rows.append({"system": system, "shape": shapes.setdefault(shape, len(shapes))})
        weights.append(len(unused))
    shared = {
        "shapes": [
            [
                {
                    "name": name,
                    "speed_mbps": speed,
                    "breakouts": list(breakouts),
                    "sort_key": sort_key(name),
                }
                for name, speed, breakouts in shape
            ]
            for shape in shapes
        ]
    }
    return ports, Statement(CREATE_UNUSED_PORTS, rows, shared, weights)


def _last_rows(design: BlueprintDesign) -> list[dict[str, Any]]:
    """The last allocation of each pool (allocations are in the order they were made)."""
    last = {allocation.pool: allocation.value for allocation in design.allocations}
    return [{"pool": pool, "value": value} for pool, value in sorted(last.items())]


def _owner_labels(design: BlueprintDesign) -> dict[str, str]:
    labels: dict[str, str] = {design.name: "Blueprint"}
    for label, items in (
        ("Pod", design.pods),
        ("System", design.systems),
        ("Link", design.links),
        ("Interface", design.interfaces),
        ("VirtualNetwork", design.virtual_networks),
        ("Rack", design.racks),
        ("RoutingZone", design.routing_zones),
    ):
        labels.update((item.id, label) for item in items)
    return labels


def _allocation_rows(design: BlueprintDesign) -> list[Statement]:
    """Allocations grouped by the label of their owner (so every MATCH uses an index)."""
    labels = _owner_labels(design)
    grouped: dict[str, list[dict[str, Any]]] = {label: [] for label in OWNER_LABELS}
    for allocation in design.allocations:
        label = labels.get(allocation.owner)
        if label is None:
            raise ValueError(f"allocation {allocation} is held by no node of the design")
        grouped[label].append(
            {"pool": allocation.pool, "value": allocation.value, "owner": allocation.owner}
        )
    return [Statement(CREATE_ALLOCATIONS[label], rows) for label, rows in grouped.items() if rows]


# Designs with more nodes than this are written in several transactions (each of at most
# ``TX_NODES`` nodes, in batches of ``BATCH`` rows):
# `xlarge` (~440k nodes, a million relationships) does not fit one transaction in a 1 GB
# Neo4j heap. The blueprint is marked `building` until its last batch is in, and a
# failure deletes what was written, so the end state is still all or nothing.
ONE_TX_NODES = 150_000
# nodes per transaction of a chunked write: 150k interface or transceiver rows in one
# transaction exceed the 1 GB heap's transaction memory (716 MiB); 25k stay well inside
TX_NODES = 25_000

BUILD_COMMIT = "blueprint.build_commit"  # stats name of a chunked write's commits
MARK_BUILT = Query(
    "blueprint.mark_built", "MATCH (b:Blueprint {name: $bp}) REMOVE b.building RETURN b.name"
)
MARK_BUILDING = Query(
    "blueprint.mark_building", "MATCH (b:Blueprint {name: $bp}) SET b.building = true"
)


def design_nodes(design: BlueprintDesign) -> int:
    """Intent nodes a design writes (each allocation is a Resource node), counted without
    building its rows."""
    return sum(
        len(items)
        for items in (
            design.pods,
            design.racks,
            design.systems,
            design.interfaces,
            design.transceivers,
            design.links,
            design.sessions,
            design.routing_zones,
            design.virtual_networks,
            design.pools,
            design.allocations,
        )
    )


Batches = list[tuple[Statement, list[dict[str, Any]]]]


def _transactions(statements: list[Statement], most: int) -> Iterator[Batches]:
    """The batches of a chunked write grouped into transactions of at most ``most`` nodes
    (at least one batch each), in order: a commit applies its nodes to the store and
    every index, so fewer, larger commits cost less than one per batch."""
    pending: Batches = []
    size = 0
    for statement in statements:
        for batch, nodes in statement.batches():
            if pending and size + nodes > most:
                yield pending
                pending, size = [], 0
            pending.append((statement, batch))
            size += nodes
    if pending:
        yield pending


def write_design(
    graph: Graph,
    design: BlueprintDesign,
    before: Callable[[Tx], None] | None = None,
    one_tx_nodes: int = ONE_TX_NODES,
) -> None:
    """Create the blueprint and its whole intent graph, all or nothing: in one transaction
    up to ``one_tx_nodes`` nodes, else in batches (see ``ONE_TX_NODES``).

    ``before`` runs first in the (first) transaction (e.g. confirming the catalogue entries).
    """
    chunked = design_nodes(design) > one_tx_nodes

    def work(tx: ManagedTransaction) -> None:
        if before is not None:
            before(tx)
        created = graph.run(
            tx,
            CREATE_BLUEPRINT,
            name=design.name,
            template=design.template,
            overlay=str(design.overlay),
            stages=design.stages,
            planes=design.planes,
            asn_scheme=design.asn_scheme,
        )
        if not created:
            raise ConflictError(
                f"a blueprint named {design.name!r} already exists",
                allowed="a blueprint name not in use (see `fabricgraph blueprint list`)",
            )
        if chunked:
            graph.run(tx, MARK_BUILDING, bp=design.name)
        else:
            write_parts(graph, tx, design.name, design, fresh=True)

    graph.write_tx(work)
    if not chunked:
        return
    try:
        rows = design_rows(design, fresh=True)
        for batches in _transactions(rows, min(one_tx_nodes, TX_NODES)):

            def chunk(tx: ManagedTransaction, batches: Batches = batches) -> float:
                for statement, batch in batches:
                    statement.run(graph, tx, design.name, batch)
                return time.perf_counter()

            # the commit's own time (applying the transaction), apart from its statements
            done = graph.write_tx(chunk)
            graph.stats.record(BUILD_COMMIT, time.perf_counter() - done)
        graph.write(MARK_BUILT, bp=design.name)
    except BaseException:
        delete_blueprint(graph, design.name)
        raise


def write_parts(
    graph: Graph,
    tx: Tx,
    bp: str,
    design: BlueprintDesign,
    cabled: Sequence[Any] = (),
    fresh: bool = False,
) -> None:
    """Write the nodes of ``design`` (possibly a fragment, e.g. one new rack) into ``bp``;
    ``cabled`` are interfaces that exist already and get their link's address; ``fresh``:
    ``design`` is the whole of ``bp``, being created."""
    if cabled:
        graph.run(tx, CABLE_PORTS, bp=bp, rows=[{"id": i.id, "ipv4": i.ipv4} for i in cabled])
    for statement in design_rows(design, fresh):
        for batch, _ in statement.batches():
            statement.run(graph, tx, bp, batch)


def summary(graph: Graph, name: str, tx: Tx | None = None) -> Row:
    """Counts of a blueprint, in ``tx`` (e.g. a staged view) or a read transaction."""
    rows = graph.run(tx, SUMMARY, bp=name) if tx else graph.read(SUMMARY, bp=name)
    if not rows:
        known = [r["name"] for r in graph.read(LIST_BLUEPRINTS)]
        raise NotFoundError(f"no blueprint named {name!r}", allowed=known or "none exist yet")
    return rows[0]


def list_blueprints(graph: Graph) -> list[str]:
    return [str(r["name"]) for r in graph.read(LIST_BLUEPRINTS)]


def delete_blueprint(graph: Graph, name: str) -> None:
    """Remove a blueprint, its systems' stored configs and everything tagged with it."""
    graph.write(DELETE_CONFIGS, bp=name)
    while graph.write(DELETE_BATCH, bp=name, limit=10_000)[0]["deleted"]:
        pass
    graph.write(DELETE_BLUEPRINT, bp=name)
