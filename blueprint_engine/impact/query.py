"""Impact analysis by graph traversal: what depends on an element, before anything fails.

``impact(graph, bp, kind, id)`` answers "what breaks if this transceiver / interface /
link / system / virtual network fails?"; ``what_if(graph, bp, system, mode)`` answers
the same for draining or undeploying a switch. Each runs ONE named Cypher statement
that reads the element's neighbourhood (the links and switches it takes out, the
sessions over or between them, the leafs and servers whose paths could change, the
virtual networks bound to their racks); the pure rules in ``impact_model`` classify.
5-stage, when a superspine is concerned: that statement again, in one read transaction
with one statement per four spines below it, whose leafs are merged in
(``BELOW_LEAFS``); their servers are read (``BELOW``, page by page again) only when
one of them could change (``unlisted_servers_keep_their_state``): a spine left without
superspines, a leaf left with one spine or superspine. So no statement holds every
server below a superspine, and a superspine link (a spine keeping others) reads no
server at all.

Semantics (the baseline is the intent: every element up, except switches whose
deploy mode is ``drain`` or ``undeploy``, which already carry no traffic):

What an element takes out
- transceiver: its interface goes down, so the link cabled to it goes down (both ends);
- interface: the same, without a transceiver (server ports have none);
- link: the link (both end interfaces go down);
- system: the system and every link cabled to it (a failed server included);
- virtual network: see below.

Links and switches
- A leaf is *connected* when it carries traffic and has at least one working uplink
  to a spine that carries traffic. A leaf that keeps at least one uplink but loses
  some is reported ``fewer_uplinks`` (with the counts); one left with none is
  ``isolated``.
- Connectivity means a path to the spine layer. With every leaf cabled to every spine
  (the templates), one failure can never leave two connected leafs without a common
  spine, so that is also leaf-to-leaf reachability.

BGP sessions
- underlay (``ipv4``) sessions go down with their link or with either peer;
- overlay (``evpn``, loopback to loopback) sessions go down with either peer, or when
  every link cabled directly between the two peers is down: the spines share one ASN,
  so a leaf learns a spine's loopback only from that spine (no path via another leaf).

Servers (the two lists are disjoint; a server in neither keeps what it had)
- A server is *connected* when one of its working links reaches a connected leaf.
- It is *redundant* when no single further failure (one link, one leaf or one spine)
  would disconnect it; on a Clos fabric that is: its working links reach at least two
  distinct connected leafs, and those leafs' working uplinks reach at least two
  distinct spines.
- LOSING ALL CONNECTIVITY: connected before, not after.
- LOSING REDUNDANCY: redundant before, connected but not redundant after. So a
  single-homed server (never redundant: its leaf is a single point of failure) can
  only lose connectivity; a dual-homed server loses redundancy when one of its links
  or one of its leafs fails; a spine-leaf link failure costs servers nothing while the
  leaf keeps an uplink and its pair is whole; with only two spines, a spine failure
  leaves one spine (a single point of failure), so every dual-homed server loses
  redundancy; with four or eight spines it does not.

5-stage (pods of spines and leafs joined by superspine planes)
- A pod spine carries traffic out of its pod only with at least one working link to a
  superspine that carries traffic; a leaf's uplink counts only towards such a spine. A
  spine losing superspine links is reported ``fewer_uplinks`` / ``isolated`` (counts
  of its superspine links).
- A server is *redundant* when, besides the above, the spines its leafs reach reach at
  least two distinct superspines: no single further failure of a link, leaf, spine or
  superspine disconnects it from the other pods. A superspine (or one of its links)
  takes the leafs below its spines and their servers into the neighbourhood.
- evpn sessions between a spine and a superspine go down with their direct link too:
  the pod's spines share one ASN, so a spine learns a superspine's loopback only from it.

Virtual networks (a VN is bound to racks; it is served in a rack by the rack's leafs,
which carry its gateway/VTEP, and reaches the servers of those racks)
- A VN is affected when a serving leaf of one of its racks is lost (down, drained,
  undeployed or isolated) or when one of its servers loses redundancy or
  connectivity. The row names the racks concerned, the leafs lost, the racks left
  with no serving leaf (``unavailable_in_racks``) and the servers of each list.
- ``impact`` of a VN itself (the VN fails or is removed): no link, session or switch
  depends on a VN; every server of its racks that had connectivity loses its
  connectivity *in that VN* (reported under losing all connectivity: the VN is its
  only path in that network; its other networks and its underlay links stay up).

What-if for a switch (superspine, spine or leaf)
- drain: deny route-maps on every session. Underlay sessions stay established and
  are reported ``withdrawn``; the device's loopback leaves its peers' RIBs, so its
  evpn sessions go ``down``. Its links stay up but carry no transit (``drained``);
  servers and VNs are assessed as if it carried no traffic.
- undeploy: the rendered config is removed (discovery 2: no addresses, no BGP), so
  every session of the device goes ``down`` and its links are ``unconfigured``
  (physically up, carrying nothing); servers and VNs as for drain.

Bad input raises a ``FabricError``: an unknown kind or mode (the allowed ones are
listed), an unknown blueprint (the known ones are listed), an id that is not an
element of the kind (naming what the id is when it is another kind, with examples).
"""

from __future__ import annotations

import re
from typing import Any

from blueprint_engine.design import store
from blueprint_engine.errors import NotFoundError, ValidationError
from blueprint_engine.graph.db import Graph, Query, Row, Tx
from blueprint_engine.impact.model import (
    OUT_OF_SERVICE_MODES,
    Attachment,
    ElementKind,
    Impact,
    LeafNode,
    LinkNode,
    Neighbourhood,
    NetworkRef,
    Scenario,
    ServerNode,
    SessionNode,
    SpineUplink,
    Uplink,
    assess,
    unlisted_servers_keep_their_state,
)
from blueprint_engine.virtual import impact as virtual_impact

__all__ = ["ElementKind", "Impact", "Scenario", "impact", "what_if"]

# Each seed binds: element (its id), interfaces (the element's own ports, as maps),
# links and systems (the nodes it takes out).
_SEEDS = {
    ElementKind.TRANSCEIVER: """
    MATCH (x:Transceiver {uid: $bp + '/' + $id})<-[:HAS_TRANSCEIVER]-(i:Interface)
    WITH x.id AS element, [i {.id, .system}] AS interfaces,
         COLLECT { MATCH (i)<-[:ENDPOINT]-(l:Link) RETURN l } AS links, [] AS systems
    """,
    ElementKind.INTERFACE: """
    MATCH (i:Interface {uid: $bp + '/' + $id})
    WITH i.id AS element, [i {.id, .system}] AS interfaces,
         COLLECT { MATCH (i)<-[:ENDPOINT]-(l:Link) RETURN l } AS links, [] AS systems
    """,
    ElementKind.LINK: """
    MATCH (l:Link {uid: $bp + '/' + $id})
    WITH l.id AS element, [] AS interfaces, [l] AS links, [] AS systems
    """,
    ElementKind.SYSTEM: """
    MATCH (s:System {uid: $bp + '/' + $id})
    WITH s.id AS element, [] AS interfaces,
         COLLECT { MATCH (s)-[:HAS_INTERFACE]->(:Interface)<-[:ENDPOINT]-(l:Link) RETURN l }
           AS links, [s] AS systems
    """,
    ElementKind.PLANE: """
    MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(s:System {role: 'superspine'})
    WHERE 'plane' + toString(s.plane) = $id
    WITH $id AS element, [] AS interfaces, collect(s) AS systems
    WITH element, interfaces, systems,
         COLLECT { UNWIND systems AS s
                   MATCH (s)-[:HAS_INTERFACE]->(:Interface)<-[:ENDPOINT]-(l:Link)
                   RETURN DISTINCT l } AS links
    WHERE size(systems) > 0
    """,
    ElementKind.POD: """
    MATCH (p:Pod {uid: $bp + '/' + $id})
    WITH p.id AS element, [] AS interfaces,
         COLLECT { MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(s:System)
                   WHERE s.pod = p.id AND s.role IN ['spine', 'leaf'] RETURN s } AS systems
    WITH element, interfaces, systems,
         COLLECT { UNWIND systems AS s
                   MATCH (s)-[:HAS_INTERFACE]->(:Interface)<-[:ENDPOINT]-(l:Link)
                   RETURN DISTINCT l } AS links
    """,
}
# servers and leafs whose paths may change, with what the rules read about them; only a
# 5-stage pod spine has a plane (and superspine links): a 3-stage spine's ports are not
# walked
_PROJECT = """
WITH *, COLLECT { UNWIND leafs AS leaf
                  MATCH (leaf)-[:HAS_INTERFACE]->(:Interface)
                        <-[:ENDPOINT]-(:Link {role: 'spine_leaf'})-[:ENDPOINT]->
                        (:Interface)<-[:HAS_INTERFACE]-(sp:System {role: 'spine'})
                  WHERE sp.plane IS NOT NULL
                  RETURN DISTINCT sp } AS tiered
RETURN element, interfaces, network, below,
  [l IN links | l {.id, .role,
     a: [(l)-[:ENDPOINT {side: 'a'}]->(i:Interface) | i {.id, .system}][0],
     b: [(l)-[:ENDPOINT {side: 'b'}]->(i:Interface) | i {.id, .system}][0]}] AS links,
  [x IN systems | x {.id, .role}] AS systems,
  [srv IN servers | srv {.id, rack: [(srv)-[:IN_RACK]->(k:Rack) | k.id][0],
     links: [(srv)-[:HAS_INTERFACE]->(:Interface)<-[:ENDPOINT]-(l:Link)
             -[:ENDPOINT]->(:Interface)<-[:HAS_INTERFACE]-(leaf:System {role: 'leaf'})
             | {link: l.id, leaf: leaf.id}],
     // the virtual layer: the VMs of its hypervisor (blueprint_engine.virtual.impact)
     vms: [(srv)<-[:RUNS_ON]-(h:Hypervisor)<-[:HOSTED_ON]-(v:Vm)
           | {id: v.id, name: v.name, hypervisor: h.id,
              networks: [(v)-[:HAS_VNIC]->(n:Vnic) WHERE n.network IS NOT NULL | n.network]}]}]
    AS servers,
  [leaf IN leafs | leaf {.id, .deploy_mode, rack: [(leaf)-[:IN_RACK]->(k:Rack) | k.id][0],
     uplinks: [(leaf)-[:HAS_INTERFACE]->(:Interface)<-[:ENDPOINT]-(l:Link {role: 'spine_leaf'})
               -[:ENDPOINT]->(:Interface)<-[:HAS_INTERFACE]-(sp:System {role: 'spine'})
               | {link: l.id, spine: sp.id, spine_mode: sp.deploy_mode}]}]
    AS leafs,
  // 5-stage: each pod spine's superspine links once (not once per leaf below it)
  [sp IN tiered | {spine: sp.id,
     ups: [(sp)-[:HAS_INTERFACE]->(:Interface)
           <-[:ENDPOINT]-(u:Link {role: 'superspine_spine'})-[:ENDPOINT]->
           (:Interface)<-[:HAS_INTERFACE]-(ss:System {role: 'superspine'})
           | {link: u.id, superspine: ss.id, mode: ss.deploy_mode}]}] AS spines,
  [e IN sessions | e {.id, .afi,
     a: [(e)-[:PEER {side: 'a'}]->(x:System) | x.id][0],
     b: [(e)-[:PEER {side: 'b'}]->(x:System) | x.id][0],
     link: [(e)-[:OVER]->(l:Link) | l.id][0],
     direct: CASE e.afi WHEN 'evpn' THEN
       [(e)-[:PEER {side: 'a'}]->(:System)-[:HAS_INTERFACE]->(:Interface)<-[:ENDPOINT]-(d:Link)
        -[:ENDPOINT]->(:Interface)<-[:HAS_INTERFACE]-(:System)<-[:PEER {side: 'b'}]-(e) | d.id]
       ELSE [] END}] AS sessions,
  [k IN racks | k {.id, vns: [(k)<-[:BOUND_TO]-(v:VirtualNetwork)
                              WHERE network IS NULL OR v.id = network.id
                              | v {.id, .vlan, .vni}]}] AS racks
"""
_TAIL = """
WITH element, interfaces, links, systems,
     COLLECT { UNWIND links AS l
               MATCH (l)-[:ENDPOINT]->(:Interface)<-[:HAS_INTERFACE]-(x:System) RETURN x
               UNION UNWIND systems AS x RETURN x } AS near
// 5-stage: what a superspine (or its link) carries reaches the leafs below its spines;
// those are read page by page (``BELOW``), not here
WITH element, interfaces, links, systems, near,
     CASE WHEN any(x IN near WHERE x.role = 'superspine')
          THEN [x IN near WHERE x.role = 'spine' | x.id] ELSE [] END AS below
"""
# from the systems near the element: the servers, racks, leafs and sessions concerned
_REST = """
WITH element, interfaces, links, systems, near, below,
     COLLECT { UNWIND near AS leaf WITH leaf WHERE leaf.role = 'leaf'
               MATCH (leaf)-[:HAS_INTERFACE]->(:Interface)<-[:ENDPOINT]-(:Link)
                     -[:ENDPOINT]->(:Interface)<-[:HAS_INTERFACE]-(srv:System {role: 'server'})
               RETURN srv
               UNION UNWIND near AS srv WITH srv WHERE srv.role = 'server' RETURN srv } AS servers
WITH element, interfaces, links, systems, servers, below,
     COLLECT { UNWIND near + servers AS x MATCH (x)-[:IN_RACK]->(k:Rack) RETURN DISTINCT k }
       AS racks
WITH element, interfaces, links, systems, servers, racks, below, null AS network,
     COLLECT { UNWIND racks AS k MATCH (k)<-[:IN_RACK]-(leaf:System {role: 'leaf'}) RETURN leaf
               UNION UNWIND servers AS srv
               MATCH (srv)-[:HAS_INTERFACE]->(:Interface)<-[:ENDPOINT]-(:Link)
                     -[:ENDPOINT]->(:Interface)<-[:HAS_INTERFACE]-(leaf:System {role: 'leaf'})
               RETURN leaf } AS leafs,
     COLLECT { UNWIND links AS l MATCH (e:BgpSession)-[:OVER]->(l) RETURN e
               UNION UNWIND systems AS x MATCH (e:BgpSession)-[:PEER]->(x) RETURN e
               UNION UNWIND links AS l
               MATCH (l)-[:ENDPOINT]->(:Interface)<-[:HAS_INTERFACE]-(leaf:System {role: 'leaf'})
               MATCH (leaf)<-[:PEER]-(e:BgpSession {afi: 'evpn'})-[:PEER]->(:System)
                     -[:HAS_INTERFACE]->(:Interface)<-[:ENDPOINT]-(l)
               RETURN e } AS sessions
"""
# 5-stage: the leafs below a page of the spines a superspine's failure concerns, as the
# near systems of an element that takes nothing out itself
_BELOW = """
WITH $id AS element, [] AS interfaces, [] AS links, [] AS systems, [] AS below,
     COLLECT { UNWIND $spines AS id
               MATCH (:System {uid: $bp + '/' + id})-[:HAS_INTERFACE]->(:Interface)
                     <-[:ENDPOINT]-(:Link {role: 'spine_leaf'})-[:ENDPOINT]->(:Interface)
                     <-[:HAS_INTERFACE]-(leaf:System {role: 'leaf'})
               RETURN DISTINCT leaf } AS near
"""
_NETWORK = """
MATCH (v:VirtualNetwork {uid: $bp + '/' + $id})
WITH v.id AS element, v {.id, .vlan, .vni} AS network,
     COLLECT { MATCH (v)-[:BOUND_TO]->(k:Rack) RETURN k } AS racks
WITH element, network, racks,
     COLLECT { UNWIND racks AS k MATCH (k)<-[:IN_RACK]-(srv:System {role: 'server'}) RETURN srv }
       AS servers
WITH element, network, racks, servers, [] AS interfaces, [] AS links, [] AS systems,
     [] AS sessions, [] AS below,
     COLLECT { UNWIND racks AS k MATCH (k)<-[:IN_RACK]-(leaf:System {role: 'leaf'}) RETURN leaf
               UNION UNWIND servers AS srv
               MATCH (srv)-[:HAS_INTERFACE]->(:Interface)<-[:ENDPOINT]-(:Link)
                     -[:ENDPOINT]->(:Interface)<-[:HAS_INTERFACE]-(leaf:System {role: 'leaf'})
               RETURN leaf } AS leafs
"""
QUERIES = {
    **{
        kind: Query(f"impact.{kind}", seed + _TAIL + _REST + _PROJECT)
        for kind, seed in _SEEDS.items()
    },
    ElementKind.VIRTUAL_NETWORK: Query("impact.virtual_network", _NETWORK + _PROJECT),
}
BELOW = Query("impact.below_spines", _BELOW + _REST + _PROJECT)
# the same leafs without their servers, racks or sessions: enough when none of those
# servers can change (``unlisted_servers_keep_their_state``), the usual case of a
# superspine link or a superspine of a plane of several (xlarge: 64 leafs, 512 servers
# below each spine)
BELOW_LEAFS = Query(
    "impact.below_spines_leafs",
    _BELOW
    + """
WITH element, interfaces, links, systems, below, null AS network, near AS leafs,
     [] AS servers, [] AS racks, [] AS sessions
"""
    + _PROJECT,
)
# spines per statement below a superspine: a pod's worth (xlarge: 64 leafs, 512 servers
# each); all 36 of a superspine at once exceed a 1 GB Neo4j heap
BELOW_PAGE = 4
# the lists of a row that pages below spines add to (and the key of their items)
MERGED = (("servers", "id"), ("leafs", "id"), ("racks", "id"), ("spines", "spine"))
LOOKUP = Query(
    "impact.lookup",
    """
    OPTIONAL MATCH (b:Blueprint {name: $bp})
    RETURN b IS NOT NULL AS blueprint,
      COLLECT { MATCH (:Transceiver {uid: $uid}) RETURN 'transceiver' AS kind
                UNION MATCH (:Interface {uid: $uid}) RETURN 'interface' AS kind
                UNION MATCH (:Link {uid: $uid}) RETURN 'link' AS kind
                UNION MATCH (:System {uid: $uid}) RETURN 'system' AS kind
                UNION MATCH (:VirtualNetwork {uid: $uid}) RETURN 'virtual_network' AS kind
                UNION MATCH (:Pod {uid: $uid}) RETURN 'pod' AS kind }
        AS kinds,
      {transceiver: COLLECT { MATCH (n:Transceiver {blueprint: $bp})
                              RETURN n.id ORDER BY n.id LIMIT 2 },
       interface: COLLECT { MATCH (n:Interface {blueprint: $bp})
                            RETURN n.id ORDER BY n.id LIMIT 2 },
       link: COLLECT { MATCH (n:Link {blueprint: $bp}) RETURN n.id ORDER BY n.id LIMIT 1 },
       system: COLLECT { MATCH (n:System {blueprint: $bp}) RETURN n.id ORDER BY n.id LIMIT 3 },
       virtual_network: COLLECT { MATCH (n:VirtualNetwork {blueprint: $bp})
                                  RETURN n.id ORDER BY n.id LIMIT 3 },
       plane: COLLECT { MATCH (n:System {blueprint: $bp, role: 'superspine'})
                        WITH DISTINCT n.plane AS plane
                        RETURN 'plane' + toString(plane) ORDER BY plane LIMIT 2 },
       pod: COLLECT { MATCH (n:Pod {blueprint: $bp}) RETURN n.id ORDER BY n.id LIMIT 2 }}
        AS examples
    """,
)
SWITCH_ROLES = ("superspine", "spine", "leaf")


def impact(graph: Graph, bp: str, kind: str | ElementKind, element_id: str) -> Impact:
    """What fails with element ``element_id`` of ``kind`` in blueprint ``bp``."""
    parsed = kind if isinstance(kind, ElementKind) else ElementKind.parse(kind)
    hood = _read(graph, bp, parsed, element_id)
    return virtual_impact.with_vms(assess(hood, Scenario.FAIL), hood.server_vms)


def what_if(graph: Graph, bp: str, system: str, mode: str | Scenario) -> Impact:
    """What draining or undeploying switch ``system`` (5-stage: or every switch of
    ``plane<N>`` / ``pod<N>``) would take out."""
    scenario = mode if isinstance(mode, Scenario) else Scenario.parse_what_if(mode)
    if scenario == Scenario.FAIL:
        raise ValidationError(
            "a what-if is for drain or undeploy",
            allowed=[Scenario.DRAIN.value, Scenario.UNDEPLOY.value],
        )
    group = _group_kind(system)
    if group is not None:  # 5-stage: a plane's superspines or a pod's switches at once
        hood = _read(graph, bp, group, system)
        return virtual_impact.with_vms(assess(hood, scenario), hood.server_vms)
    hood = _read(graph, bp, ElementKind.SYSTEM, system)
    role = dict(hood.systems).get(system)
    if role not in SWITCH_ROLES:
        raise ValidationError(
            f"{system!r} is a {role}: drain and undeploy apply to switches",
            allowed=f"a superspine, spine or leaf of blueprint {bp!r}",
        )
    return virtual_impact.with_vms(assess(hood, scenario), hood.server_vms)


def _group_kind(element_id: str) -> ElementKind | None:
    """``plane<N>`` and ``pod<N>`` name groups of switches (no switch id has that form)."""
    for kind in (ElementKind.PLANE, ElementKind.POD):
        if re.fullmatch(rf"{kind.value}[1-9][0-9]*", element_id):
            return kind
    return None


def _read(graph: Graph, bp: str, kind: ElementKind, element_id: str) -> Neighbourhood:
    rows = graph.read_once(QUERIES[kind], bp=bp, id=element_id)
    if not rows:
        raise _not_found(graph, bp, kind, element_id)
    if not rows[0]["below"]:
        return neighbourhood(bp, kind, rows[0])
    # 5-stage: a superspine is concerned; one transaction for all
    hood = graph.read_tx(lambda tx: _below(graph, tx, bp, kind, element_id))
    if hood is None:
        raise _not_found(graph, bp, kind, element_id)
    return hood


def _below(
    graph: Graph, tx: Tx, bp: str, kind: ElementKind, element_id: str
) -> Neighbourhood | None:
    """The element's neighbourhood with the leafs below the spines it concerns; their
    servers too unless none of them can change."""
    rows = graph.run(tx, QUERIES[kind], bp=bp, id=element_id)
    if not rows:
        return None
    first = rows[0]
    hood = neighbourhood(bp, kind, _paged(graph, tx, first, BELOW_LEAFS, bp, element_id))
    if unlisted_servers_keep_their_state(hood):
        return hood
    return neighbourhood(bp, kind, _paged(graph, tx, first, BELOW, bp, element_id))


def _paged(graph: Graph, tx: Tx, first: Row, page_query: Query, bp: str, element_id: str) -> Row:
    """The element's row with what ``page_query`` reads below the spines it concerns
    merged in, ``BELOW_PAGE`` spines at a time (as one statement would give them)."""
    row = dict(first)
    below = list(row["below"])
    for start in range(0, len(below), BELOW_PAGE):
        spines = below[start : start + BELOW_PAGE]
        page = graph.run(tx, page_query, bp=bp, id=element_id, spines=spines)[0]
        for key, ident in MERGED:
            row[key] = _union(row[key], page[key], ident)
    return row


def _union(first: list[Any], more: list[Any], key: str) -> list[Any]:
    """``first`` then the items of ``more`` not in it (by ``key``)."""
    seen = {item[key] for item in first}
    out = list(first)
    for item in more:
        if item[key] not in seen:
            seen.add(item[key])
            out.append(item)
    return out


def _not_found(graph: Graph, bp: str, kind: ElementKind, element_id: str) -> NotFoundError:
    row = graph.read(LOOKUP, bp=bp, uid=f"{bp}/{element_id}")[0]
    if not row["blueprint"]:
        known = store.list_blueprints(graph)
        return NotFoundError(f"no blueprint named {bp!r}", allowed=known or "none exist yet")
    message = f"no {kind} {element_id!r} in blueprint {bp!r}"
    if row["kinds"]:
        message += f" ({element_id!r} is a {' and a '.join(row['kinds'])})"
    examples = ", ".join(repr(e) for e in row["examples"][kind.value]) or "none in this blueprint"
    kinds = ", ".join(k.value for k in ElementKind)
    return NotFoundError(
        message, allowed=f"the id of a {kind} of {bp!r} (e.g. {examples}); kinds: {kinds}"
    )


def neighbourhood(bp: str, kind: ElementKind, row: Row) -> Neighbourhood:
    """The statement's row as the plain data the rules read."""
    network = row.get("network")
    ups = {
        spine["spine"]: tuple(
            SpineUplink(u["link"], u["superspine"], u.get("mode") not in OUT_OF_SERVICE_MODES)
            for u in spine["ups"]
        )
        for spine in row.get("spines") or ()
    }
    return Neighbourhood(
        blueprint=bp,
        kind=kind,
        id=row["element"],
        interfaces=tuple((i["id"], i["system"]) for i in row["interfaces"]),
        links=tuple(_link(link) for link in row["links"]),
        systems=tuple((s["id"], s["role"]) for s in row["systems"]),
        sessions=tuple(_session(s) for s in row["sessions"]),
        leafs={leaf["id"]: _leaf(leaf, ups) for leaf in row["leafs"]},
        servers=tuple(_server(s) for s in row["servers"]),
        server_vms={s["id"]: tuple(s.get("vms") or ()) for s in row["servers"]},
        rack_networks={
            k["id"]: tuple(NetworkRef(v["id"], v.get("vlan"), v.get("vni")) for v in k["vns"])
            for k in row["racks"]
            if k["vns"]
        },
        network=None
        if network is None
        else NetworkRef(network["id"], network.get("vlan"), network.get("vni")),
    )


def _link(row: dict[str, Any]) -> LinkNode:
    a, b = row["a"], row["b"]
    return LinkNode(row["id"], row["role"], a["id"], b["id"], a["system"], b["system"])


def _session(row: dict[str, Any]) -> SessionNode:
    return SessionNode(
        row["id"], row["afi"], row["a"], row["b"], row.get("link"), tuple(row["direct"])
    )


def _leaf(row: dict[str, Any], ups: dict[str, tuple[SpineUplink, ...]]) -> LeafNode:
    """A leaf's uplinks, each with its spine's superspine links (``ups``, by spine)."""
    uplinks = tuple(
        Uplink(
            u["link"],
            u["spine"],
            u.get("spine_mode") not in OUT_OF_SERVICE_MODES,
            ups.get(u["spine"], ()),
        )
        for u in row["uplinks"]
    )
    return LeafNode(
        row["id"], row.get("rack"), uplinks, row.get("deploy_mode") not in OUT_OF_SERVICE_MODES
    )


def _server(row: dict[str, Any]) -> ServerNode:
    attachments = tuple(Attachment(a["link"], a["leaf"]) for a in row["links"])
    return ServerNode(row["id"], row.get("rack"), attachments)
