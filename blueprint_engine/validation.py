"""Build errors: staged intent that cannot be committed, each named precisely."""

from __future__ import annotations

from blueprint_engine.db import Graph, Query, Tx

CHECKS: tuple[Query, ...] = (
    Query(
        "build.dangling_links",
        """
        MATCH (l:Link {blueprint: $bp})
        WITH l, COUNT { (l)-[:ENDPOINT]->(:Interface) } AS ends WHERE ends <> 2
        RETURN 'link ' + l.id + ' is dangling: it has ' + toString(ends) +
               ' endpoint(s), a link needs exactly 2' AS problem
        """,
    ),
    Query(
        "build.links_to_same_system",
        """
        MATCH (l:Link {blueprint: $bp})-[:ENDPOINT]->(i:Interface)<-[:HAS_INTERFACE]-(s:System)
        WITH l, collect(s.id) AS systems WHERE size(systems) = 2 AND systems[0] = systems[1]
        RETURN 'link ' + l.id + ' connects ' + systems[0] + ' to itself' AS problem
        """,
    ),
    Query(
        "build.speed_mismatch",
        """
        MATCH (l:Link {blueprint: $bp})-[:ENDPOINT]->(i:Interface)
        WITH l, collect(i) AS ends WHERE size(ends) = 2
          AND (ends[0].speed_mbps <> ends[1].speed_mbps OR ends[0].speed_mbps <> l.speed_mbps)
        RETURN 'speed mismatch on link ' + l.id + ': ' + ends[0].id + ' ' +
               toString(ends[0].speed_mbps) + ' Mb/s, ' + ends[1].id + ' ' +
               toString(ends[1].speed_mbps) + ' Mb/s, link ' + toString(l.speed_mbps) +
               ' Mb/s' AS problem
        """,
    ),
    Query(
        "build.unallocated_switch_resources",
        """
        MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(s:System)
        WHERE s.role IN ['spine', 'leaf'] AND (s.asn IS NULL OR s.loopback IS NULL)
        RETURN 'unallocated resource on ' + s.id + ': ' +
               CASE WHEN s.asn IS NULL THEN 'no ASN' ELSE 'no loopback' END AS problem
        """,
    ),
    Query(
        "build.unallocated_link_subnets",
        """
        MATCH (l:Link {blueprint: $bp}) WHERE l.subnet IS NULL
        RETURN 'unallocated resource on link ' + l.id + ': no IPv4 subnet' AS problem
        """,
    ),
    Query(
        "build.duplicate_hostnames",
        """
        MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(s:System)
        WITH s ORDER BY s.id
        WITH s.hostname AS hostname, collect(s.id) AS systems WHERE size(systems) > 1
        RETURN 'duplicate hostname ' + hostname + ' on ' +
               reduce(t = head(systems), x IN tail(systems) | t + ', ' + x) AS problem
        """,
    ),
    Query(
        "build.sessions_without_link",
        """
        MATCH (b:BgpSession {blueprint: $bp, afi: 'ipv4'}) WHERE NOT (b)-[:OVER]->(:Link)
        RETURN 'BGP session ' + b.id + ' rides on no link (its link was removed)' AS problem
        """,
    ),
    Query(
        "build.vn_without_rack",
        """
        MATCH (v:VirtualNetwork {blueprint: $bp}) WHERE NOT (v)-[:BOUND_TO]->(:Rack)
        RETURN 'virtual network ' + v.id + ' is bound to no rack' AS problem
        """,
    ),
)


def build_errors(graph: Graph, tx: Tx, bp: str) -> list[str]:
    """Every build error of blueprint ``bp`` as seen in ``tx`` (e.g. the staged view)."""
    problems: list[str] = []
    for check in CHECKS:
        problems.extend(str(row["problem"]) for row in graph.run(tx, check, bp=bp))
    return sorted(problems)
