"""Read queries behind the API: lists with filters and pagination, batched children.

Every child lookup takes a list of parent uids and answers for all of them in one
statement, so a nested GraphQL read costs one query per level, never one per row.
Each read runs in its own read transaction, or in a given one: a staged view
(``Staging.read_staged``) shows the staged blueprint to the same statements.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from typing import Any

from blueprint_engine.errors import ValidationError
from blueprint_engine.graph.db import Graph, Query, Row, Tx

MAX_PAGE = 10_000  # the largest page a list returns (limit / first are capped to it)


def systems_page(s: str) -> str:
    """Cypher binding ``s`` to each system of the page ``$bp``, ``$role``, ``$rack``,
    ``$name``, ``$tag``, ``$after``, ``$offset``, ``$limit`` ask for, with its natural ``key``
    (its stored ``sort_key``, indexed with its blueprint: the page is read in the index's
    order; ``s`` is a variable name of a query of ours, never a value)."""
    return f"""
    MATCH ({s}:System {{blueprint: $bp}})
    WHERE {s}.sort_key >= '' AND ($role IS NULL OR {s}.role = $role) AND ($rack IS NULL OR EXISTS {{
            MATCH ({s})-[:IN_RACK]->(:Rack {{id: $rack}}) }})
      AND ($name IS NULL OR {s}.hostname CONTAINS $name)
      AND ($tag IS NULL OR $tag IN coalesce({s}.tags, []))
    WITH {s}, {s}.sort_key AS key
    WHERE $after IS NULL OR key > $after
    WITH {s}, key ORDER BY key SKIP $offset LIMIT $limit
    """


def links_page(link: str) -> str:
    """Cypher binding ``link`` to each link (with both ends) of the page ``$bp``,
    ``$role``, ``$tag``, ``$after``, ``$offset``, ``$limit`` ask for, with its natural ``key``."""
    return f"""
    MATCH ({link}:Link {{blueprint: $bp}})
    WHERE {link}.sort_key >= '' AND ($role IS NULL OR {link}.role = $role)
      AND ($tag IS NULL OR $tag IN coalesce({link}.tags, []))
      AND EXISTS {{ ({link})-[:ENDPOINT {{side: 'a'}}]->(:Interface) }}
      AND EXISTS {{ ({link})-[:ENDPOINT {{side: 'b'}}]->(:Interface) }}
    WITH {link}, {link}.sort_key AS key
    WHERE $after IS NULL OR key > $after
    WITH {link}, key ORDER BY key SKIP $offset LIMIT $limit
    """


SYSTEMS = Query(
    "reads.systems",
    f"""
    {systems_page("s")}
    OPTIONAL MATCH (s)-[:IN_RACK]->(k:Rack)
    RETURN s {{.uid, .id, .hostname, .role, .asn, .loopback, .device_profile,
              .logical_device, .deploy_mode, .tags, .property_set, rack: k.id,
              cursor: key}} AS row
    ORDER BY key
    """,
)
LINKS = Query(
    "reads.links",
    f"""
    {links_page("l")}
    MATCH (l)-[ea:ENDPOINT {{side: 'a'}}]->(a:Interface)
    MATCH (l)-[eb:ENDPOINT {{side: 'b'}}]->(b:Interface)
    RETURN l {{.uid, .id, .role, .speed_mbps, .subnet, .tags, a: a.id, b: b.id,
              a_uid: a.uid, b_uid: b.uid, cursor: key}} AS row
    ORDER BY key
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
CONFIGLETS = Query(
    "reads.configlets",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_CONFIGLET]->(c:Configlet)
    RETURN c {.id, .configlet, .definition, .scope} AS row ORDER BY c.id
    """,
)
BLUEPRINT_PROPERTIES = Query(
    "reads.blueprint_properties",
    "MATCH (b:Blueprint {name: $bp}) RETURN b {.property_set} AS row",
)
# Child levels: one statement for all parents, answered as ONE record of lists (the
# driver's cost is per record and per decoded value: a map repeats its keys in every
# row, a list does not). An interface row is a list in the order of IF_FIELDS.
IF_FIELDS = (
    "id",
    "name",
    "speed_mbps",
    "ipv4",
    "breakouts",
    "system",
    "link",
    "transceiver",
    "tags",
)
IF_TAGS = IF_FIELDS.index("tags")
_INTERFACE_ROW = "[i.id, i.name, i.speed_mbps, i.ipv4, i.breakouts, i.system, l.id, x.id, i.tags]"
# every port of each parent system, as [system uid, [interface row, ...]] (sorted and
# paged by ``ports_page``)
INTERFACES_OF = Query(
    "reads.interfaces_of_systems",
    f"""
    UNWIND $uids AS uid
    MATCH (s:System {{uid: uid}})-[:HAS_INTERFACE]->(i:Interface)
    OPTIONAL MATCH (i)<-[:ENDPOINT]-(l:Link)
    OPTIONAL MATCH (i)-[:HAS_TRANSCEIVER]->(x:Transceiver)
    WITH uid, collect({_INTERFACE_ROW}) AS ports
    RETURN collect([uid, ports]) AS found
    """,
)
INTERFACES_BY_UID = Query(
    "reads.interfaces_by_uid",
    f"""
    UNWIND $uids AS uid
    MATCH (i:Interface {{uid: uid}})
    OPTIONAL MATCH (i)<-[:ENDPOINT]-(l:Link)
    OPTIONAL MATCH (i)-[:HAS_TRANSCEIVER]->(x:Transceiver)
    RETURN collect({_INTERFACE_ROW}) AS found
    """,
)
LINK_FIELDS = ("id", "role", "speed_mbps", "subnet", "a", "b", "tags")
LINKS_BY_UID = Query(
    "reads.links_by_uid",
    """
    UNWIND $uids AS uid
    MATCH (l:Link {uid: uid})
    MATCH (l)-[:ENDPOINT {side: 'a'}]->(a:Interface), (l)-[:ENDPOINT {side: 'b'}]->(b:Interface)
    RETURN collect([l.id, l.role, l.speed_mbps, l.subnet, a.id, b.id, l.tags]) AS found
    """,
)
SYSTEM_FIELDS = (
    "id",
    "hostname",
    "role",
    "asn",
    "loopback",
    "device_profile",
    "logical_device",
    "deploy_mode",
    "rack",
    "tags",
    "property_set",
)
SYSTEMS_BY_UID = Query(
    "reads.systems_by_uid",
    """
    UNWIND $uids AS uid
    MATCH (s:System {uid: uid})
    OPTIONAL MATCH (s)-[:IN_RACK]->(k:Rack)
    RETURN collect([s.id, s.hostname, s.role, s.asn, s.loopback, s.device_profile,
                    s.logical_device, s.deploy_mode, k.id, s.tags, s.property_set]) AS found
    """,
)


@functools.lru_cache(maxsize=65_536)
def sort_key(name: str) -> str:
    """The natural sort key of ``name`` in Python: the same string ``natural_key``
    computes in Cypher (digit runs padded to 12), so cursors mean the same on both."""
    return "".join(part.zfill(12) if part.isdigit() else part for part in _DIGITS.split(name))


_DIGITS = re.compile(r"(\d+)")


def ports_page(
    rows: list[list[Any]], first: int, after: str | None, tag: str | None = None
) -> list[list[Any]]:
    """A parent's interface rows (``IF_FIELDS`` lists) in natural order of names, the
    page after cursor ``after`` (only those tagged ``tag`` when given)."""
    if tag is not None:
        rows = [r for r in rows if tag in (r[IF_TAGS] or [])]
    keyed = sorted(((sort_key(r[1]), r) for r in rows), key=lambda kr: kr[0])
    return [r for k, r in keyed if after is None or k > after][:first]


def clamp(first: int) -> int:
    """A page size within 0..MAX_PAGE."""
    return max(0, min(first, MAX_PAGE))


MAX_OFFSET = 1_000_000


def page(limit: int, offset: int, after: str | None = None) -> dict[str, Any]:
    """Validated Cypher page parameters (a value out of range is refused, not clamped),
    after cursor ``after`` (the natural sort key of the last row of the previous page)."""
    if not 0 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit {limit} is out of range", allowed=f"0..{MAX_PAGE}")
    if not 0 <= offset <= MAX_OFFSET:
        raise ValidationError(f"offset {offset} is out of range", allowed=f"0..{MAX_OFFSET}")
    return {"limit": limit, "offset": offset, "after": after}


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
