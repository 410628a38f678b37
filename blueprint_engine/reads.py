"""Read queries behind the API: lists with filters and pagination, batched children.

Every child lookup takes a list of parent uids and answers for all of them in one
statement, so a nested GraphQL read costs one query per level, never one per row.
Each read runs in its own read transaction, or in a given one: a staged view
(``Staging.read_staged``) shows the staged blueprint to the same statements.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from blueprint_engine.db import Graph, Query, Row, Tx
from blueprint_engine.errors import ValidationError

SYSTEMS = Query(
    "reads.systems",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(s:System)
    WHERE ($role IS NULL OR s.role = $role) AND ($rack IS NULL OR EXISTS {
            MATCH (s)-[:IN_RACK]->(:Rack {id: $rack}) })
      AND ($name IS NULL OR s.hostname CONTAINS $name)
    OPTIONAL MATCH (s)-[:IN_RACK]->(k:Rack)
    RETURN s {.uid, .id, .hostname, .role, .asn, .loopback, .device_profile,
              .logical_device, .deploy_mode, rack: k.id} AS row
    ORDER BY s.id SKIP $offset LIMIT $limit
    """,
)
LINKS = Query(
    "reads.links",
    """
    MATCH (l:Link {blueprint: $bp})
    WHERE $role IS NULL OR l.role = $role
    MATCH (l)-[ea:ENDPOINT {side: 'a'}]->(a:Interface)
    MATCH (l)-[eb:ENDPOINT {side: 'b'}]->(b:Interface)
    RETURN l {.uid, .id, .role, .speed_mbps, .subnet, a: a.id, b: b.id} AS row
    ORDER BY l.id SKIP $offset LIMIT $limit
    """,
)
SESSIONS = Query(
    "reads.sessions",
    """
    MATCH (s:BgpSession {blueprint: $bp})
    WHERE $afi IS NULL OR s.afi = $afi
    MATCH (s)-[:PEER {side: 'a'}]->(a:System), (s)-[:PEER {side: 'b'}]->(b:System)
    OPTIONAL MATCH (s)-[:OVER]->(l:Link)
    RETURN s {.uid, .id, .afi, .a_ip, .b_ip, .a_asn, .b_asn, a: a.id, b: b.id,
              link: l.id} AS row
    ORDER BY s.id SKIP $offset LIMIT $limit
    """,
)
VIRTUAL_NETWORKS = Query(
    "reads.virtual_networks",
    """
    MATCH (v:VirtualNetwork {blueprint: $bp})
    OPTIONAL MATCH (v)-[:IN_ZONE]->(z:RoutingZone)
    OPTIONAL MATCH (v)-[:BOUND_TO]->(k:Rack)
    WITH v, z, collect(k.id) AS racks
    RETURN v {.uid, .id, .vlan, .vni, .subnet, routing_zone: z.id, racks: racks} AS row
    ORDER BY v.id SKIP $offset LIMIT $limit
    """,
)
RESOURCES = Query(
    "reads.resources",
    """
    MATCH (r:Resource {blueprint: $bp})
    WHERE ($pool IS NULL OR r.pool = $pool) AND ($owner IS NULL OR r.owner = $owner)
    RETURN r {.key, .pool, .value, .owner} AS row
    ORDER BY r.pool, r.value SKIP $offset LIMIT $limit
    """,
)
POOLS = Query(
    "reads.pools",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_POOL]->(p:Pool)
    RETURN p {.uid, .id, .kind, .ranges, .prefix_len, .policy,
              used: COUNT { (p)-[:ALLOCATED]->() }} AS row
    ORDER BY p.id
    """,
)
INTERFACES_OF = Query(
    "reads.interfaces_of_systems",
    """
    UNWIND $uids AS uid
    MATCH (s:System {uid: uid})-[:HAS_INTERFACE]->(i:Interface)
    OPTIONAL MATCH (i)<-[:ENDPOINT]-(l:Link)
    OPTIONAL MATCH (i)-[:HAS_TRANSCEIVER]->(x:Transceiver)
    RETURN uid AS parent, i {.uid, .id, .name, .speed_mbps, .ipv4, link: l.uid,
                             transceiver: x.id} AS row
    ORDER BY row.name
    """,
)
LINKS_BY_UID = Query(
    "reads.links_by_uid",
    """
    UNWIND $uids AS uid
    MATCH (l:Link {uid: uid})
    MATCH (l)-[:ENDPOINT {side: 'a'}]->(a:Interface), (l)-[:ENDPOINT {side: 'b'}]->(b:Interface)
    RETURN uid AS parent, l {.uid, .id, .role, .speed_mbps, .subnet, a: a.id, b: b.id} AS row
    """,
)


MAX_PAGE = 10_000
MAX_OFFSET = 1_000_000


def page(limit: int, offset: int) -> dict[str, int]:
    """Validated pagination arguments (a value out of range is refused, not clamped)."""
    if not 0 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit {limit} is out of range", allowed=f"0..{MAX_PAGE}")
    if not 0 <= offset <= MAX_OFFSET:
        raise ValidationError(f"offset {offset} is out of range", allowed=f"0..{MAX_OFFSET}")
    return {"limit": limit, "offset": offset}


def rows(graph: Graph, query: Query, **params: Any) -> list[dict[str, Any]]:
    return [dict(r["row"]) for r in graph.read(query, **params)]


def rows_in(graph: Graph, tx: Tx, query: Query, **params: Any) -> list[dict[str, Any]]:
    """The ``row`` maps of ``query`` in ``tx`` (e.g. a staged view)."""
    return [dict(r["row"]) for r in graph.run(tx, query, **params)]


def grouped(
    graph: Graph, query: Query, uids: list[str], tx: Tx | None = None
) -> list[list[dict[str, Any]]]:
    """Children of each parent uid, in the order of ``uids`` (one statement for all)."""
    by_parent: dict[str, list[dict[str, Any]]] = defaultdict(list)
    found = graph.run(tx, query, uids=uids) if tx else graph.read(query, uids=uids)
    for row in found:
        by_parent[row["parent"]].append(dict(row["row"]))
    return [by_parent.get(uid, []) for uid in uids]


def first_of(found: list[list[Row]]) -> list[Row | None]:
    return [items[0] if items else None for items in found]
