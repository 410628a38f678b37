"""Build errors: staged intent that cannot be committed, each named precisely.

Every check runs over the whole blueprint (``build_errors``, what the staged
view shows) or only over what a change touched (``scope``): a commit validates
just the touched links, systems, sessions and networks, since everything else is
active intent that was valid when it was committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from blueprint_engine.change.model import DiffEntry
from blueprint_engine.grammar import HOSTNAME, SPEED, SPEEDS_MBPS, SUBNET, Grammar
from blueprint_engine.graph.db import Graph, Query, Row, Tx


@dataclass(frozen=True)
class Scope:
    """Ids a change touched; checks about other items are skipped."""

    systems: frozenset[str] = field(default_factory=frozenset)
    links: frozenset[str] = field(default_factory=frozenset)
    networks: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Check:
    name: str
    label: str  # the label the check is about
    scoped_by: str  # which Scope field limits it
    body: str  # Cypher after the first MATCH of `n`

    def query(self, scoped: bool) -> Query:
        if scoped:
            head = f"UNWIND $ids AS id MATCH (n:{self.label} {{uid: $bp + '/' + id}})"
        elif self.label == "System":
            head = "MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(n:System)"
        else:
            head = f"MATCH (n:{self.label} {{blueprint: $bp}})"
        return Query(f"build.{self.name}{'.scoped' if scoped else ''}", f"{head}\n{self.body}")


CHECKS: tuple[Check, ...] = (
    Check(
        "dangling_links",
        "Link",
        "links",
        """
        WITH n, COUNT { (n)-[:ENDPOINT]->(:Interface) } AS ends WHERE ends <> 2
        RETURN 'link ' + n.id + ' is dangling: it has ' + toString(ends) +
               ' endpoint(s), a link needs exactly 2' AS problem
    """,
    ),
    Check(
        "links_to_same_system",
        "Link",
        "links",
        """
        MATCH (n)-[:ENDPOINT]->(i:Interface)
        WITH n, collect(i.system) AS systems WHERE size(systems) = 2 AND systems[0] = systems[1]
        RETURN 'link ' + n.id + ' connects ' + systems[0] + ' to itself' AS problem
    """,
    ),
    Check(
        "speed_mismatch",
        "Link",
        "links",
        """
        MATCH (n)-[:ENDPOINT]->(i:Interface)
        WITH n, collect(i) AS ends WHERE size(ends) = 2
          AND (ends[0].speed_mbps <> ends[1].speed_mbps OR ends[0].speed_mbps <> n.speed_mbps)
        RETURN 'speed mismatch on link ' + n.id + ': ' + ends[0].id + ' ' +
               toString(ends[0].speed_mbps) + ' Mb/s, ' + ends[1].id + ' ' +
               toString(ends[1].speed_mbps) + ' Mb/s, link ' + toString(n.speed_mbps) +
               ' Mb/s' AS problem
    """,
    ),
    Check(
        "unallocated_link_subnets",
        "Link",
        "links",
        """
        WITH n WHERE n.subnet IS NULL AND coalesce(n.layer, 3) = 3
        RETURN 'unallocated resource on link ' + n.id + ': no IPv4 subnet' AS problem
    """,
    ),
    Check(
        "unallocated_switch_resources",
        "System",
        "systems",
        """
        WITH n WHERE n.role IN ['superspine', 'spine', 'leaf']
                 AND (n.asn IS NULL OR n.loopback IS NULL)
        RETURN 'unallocated resource on ' + n.id + ': ' +
               CASE WHEN n.asn IS NULL THEN 'no ASN' ELSE 'no loopback' END AS problem
    """,
    ),
    Check(
        "duplicate_hostnames",
        "System",
        "systems",
        """
        MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(other:System {hostname: n.hostname})
        WITH n.hostname AS hostname, collect(DISTINCT other.id) AS systems
        WHERE size(systems) > 1
        WITH hostname, systems UNWIND systems AS s WITH hostname, s ORDER BY s
        WITH hostname, collect(s) AS systems
        RETURN 'duplicate hostname ' + hostname + ' on ' +
               reduce(t = head(systems), x IN tail(systems) | t + ', ' + x) AS problem
    """,
    ),
    Check(
        "sessions_without_link",
        "System",
        "systems",
        """
        MATCH (b:BgpSession {afi: 'ipv4'})-[:PEER]->(n) WHERE NOT (b)-[:OVER]->(:Link)
        RETURN DISTINCT 'BGP session ' + b.id + ' rides on no link (its link was removed)'
               AS problem
    """,
    ),
    Check(
        "vn_without_rack",
        "VirtualNetwork",
        "networks",
        """
        WITH n WHERE NOT (n)-[:BOUND_TO]->(:Rack)
        RETURN 'virtual network ' + n.id + ' is bound to no rack' AS problem
    """,
    ),
    Check(
        "access_rack_networks",
        "VirtualNetwork",
        "networks",
        """
        MATCH (n)-[:BOUND_TO]->(k:Rack {server_attachment: 'access'})
        MATCH (v:VirtualNetwork)-[:BOUND_TO]->(k)
        WITH k, v ORDER BY v.id
        WITH k, collect(DISTINCT v.id) AS vns WHERE size(vns) > 1
        RETURN DISTINCT 'rack ' + k.id + ' attaches its servers on access ports (one ' +
               'untagged network) but virtual networks ' +
               reduce(t = head(vns), x IN tail(vns) | t + ', ' + x) + ' are bound to it ' +
               '(allowed: one network per access rack, or a rack type with attachment trunk)'
               AS problem
    """,
    ),
)
FULL = {c.name: c.query(scoped=False) for c in CHECKS}
SCOPED = {c.name: c.query(scoped=True) for c in CHECKS}


def _speed_ok(node: str) -> str:
    return f"({node}.speed_mbps IN $speeds AND valueType({node}.speed_mbps) STARTS WITH 'INTEGER')"


# a coarse filter in the graph (a superset of the valid values passes it), so only the
# suspicious values travel; the grammars below decide
PREFILTER = {
    "hostname_chars": "[A-Za-z0-9.-]{1,63}",
    "subnet_chars": "[0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}[.][0-9]{1,3}/[0-9]{1,2}",
    "speeds": list(SPEEDS_MBPS),
}


def _values_query(scoped: bool) -> Query:
    """Operator-settable values that reach configs and may break their grammar."""

    def head(label: str, ids: str) -> str:
        if scoped:
            return f"UNWIND ${ids} AS id MATCH (n:{label} {{uid: $bp + '/' + id}})"
        return f"MATCH (n:{label} {{blueprint: $bp}})"

    return Query(
        f"build.values{'.scoped' if scoped else ''}",
        f"""
        CALL () {{
          {head("System", "systems")}
          WITH n WHERE NOT coalesce(n.hostname =~ $hostname_chars, false)
          RETURN 'System' AS kind, n.id AS id, 'hostname' AS field, n.hostname AS value
          UNION ALL
          {head("System", "systems")} MATCH (n)-[:HAS_INTERFACE]->(i:Interface)
          WITH i WHERE NOT coalesce({_speed_ok("i")}, false)
          RETURN 'Interface' AS kind, i.id AS id, 'speed_mbps' AS field, i.speed_mbps AS value
          UNION ALL
          {head("Link", "links")}
          WITH n WHERE NOT coalesce({_speed_ok("n")}, false)
          RETURN 'Link' AS kind, n.id AS id, 'speed_mbps' AS field, n.speed_mbps AS value
          UNION ALL
          {head("VirtualNetwork", "networks")}
          WITH n WHERE NOT coalesce(n.subnet =~ $subnet_chars, false)
          RETURN 'VirtualNetwork' AS kind, n.id AS id, 'subnet' AS field, n.subnet AS value
        }}
        RETURN kind, id, field, value
        """,
    )


VALUES = {False: _values_query(False), True: _values_query(True)}
# the grammar of every value VALUES reads (the same grammars staging checks edits with)
GRAMMARS: dict[tuple[str, str], Grammar] = {
    ("System", "hostname"): HOSTNAME,
    ("Interface", "speed_mbps"): SPEED,
    ("Link", "speed_mbps"): SPEED,
    ("VirtualNetwork", "subnet"): SUBNET,
}


def value_problems(rows: list[Row]) -> list[str]:
    """Values outside their grammar, each named with its item and field (pure)."""
    problems = []
    for row in rows:
        grammar = GRAMMARS[(row["kind"], row["field"])]
        problem = grammar.problem(f"{row['kind']} {row['id']}: {row['field']}", row["value"])
        if problem:
            problems.append(problem)
    return problems


def build_errors(graph: Graph, tx: Tx, bp: str, scope: Scope | None = None) -> list[str]:
    """Build errors of ``bp`` as seen in ``tx`` (e.g. the staged view); all, or in ``scope``.

    Besides the structural checks, every value an operator can set that reaches a config
    is checked against its grammar here too, so nothing that bypassed staging renders.
    """
    problems: set[str] = set()
    for check in CHECKS:
        if scope is None:
            rows = graph.run(tx, FULL[check.name], bp=bp)
        else:
            ids = sorted(getattr(scope, check.scoped_by))
            rows = graph.run(tx, SCOPED[check.name], bp=bp, ids=ids) if ids else []
        problems.update(str(row["problem"]) for row in rows)
    if scope is None:
        values = graph.run(tx, VALUES[False], bp=bp, **PREFILTER)
    else:
        values = graph.run(
            tx,
            VALUES[True],
            bp=bp,
            systems=sorted(scope.systems),
            links=sorted(scope.links),
            networks=sorted(scope.networks),
            **PREFILTER,
        )
    problems.update(value_problems(values))
    return sorted(problems)


LINKS_OF_INTERFACES = Query(
    "build.links_of_interfaces",
    """
    UNWIND $ids AS id
    MATCH (:Interface {uid: $bp + '/' + id})<-[:ENDPOINT]-(l:Link)
    RETURN DISTINCT l.id AS id
    """,
)


def scope_of(graph: Graph, tx: Tx, bp: str, diff: list[DiffEntry]) -> Scope:
    """What a logical diff touched: its systems (and the ends of its links and sessions),
    its links (and those cabled to its interfaces) and its virtual networks."""
    systems: set[str] = set()
    links: set[str] = set()
    interfaces: set[str] = set()
    networks: set[str] = set()
    for entry in diff:
        kind, ident = entry["kind"], str(entry["id"])
        if kind == "System":
            systems.add(ident)
        elif kind == "Interface":
            interfaces.add(ident)
            systems.add(ident.split(":")[0])
        elif kind == "Link":
            links.add(ident)
            systems.update(end.split(":")[0] for end in ident.split("--"))
        elif kind == "BgpSession":
            systems.update(ident.split(":evpn")[0].split("--"))
        elif kind == "VirtualNetwork":
            networks.add(ident)
    if interfaces:
        rows = graph.run(tx, LINKS_OF_INTERFACES, bp=bp, ids=sorted(interfaces))
        links.update(str(r["id"]) for r in rows)
    return Scope(frozenset(systems), frozenset(links), frozenset(networks))
