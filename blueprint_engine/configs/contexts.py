"""Device contexts for the renderers: one graph query for any number of switches.

``fetch_rows`` reads, in one statement, everything a switch's configuration
depends on; ``assemble`` (pure) turns a row into a ``renderers.DeviceContext``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from blueprint_engine.configs.configlets import Attached, for_device, properties, switch_facts
from blueprint_engine.grammar import HOSTNAME
from blueprint_engine.graph.db import Graph, Query, Row, Tx
from renderers.context import (
    BgpNeighborContext,
    DeviceContext,
    InterfaceContext,
    StaticRouteContext,
    VirtualNetworkContext,
)

FABRIC_MTU = 9050


DEVICE_ROWS = Query(
    "contexts.devices",
    """
    UNWIND $systems AS sid
    MATCH (s:System {uid: $bp + '/' + sid})
    OPTIONAL MATCH (s)-[:IN_RACK]->(rack:Rack)
    CALL (s) {
      MATCH (s)-[:HAS_INTERFACE]->(i:Interface)<-[:ENDPOINT]-(:Link)-[:ENDPOINT]->(pi:Interface)
      WHERE pi <> i
      MATCH (pi)<-[:HAS_INTERFACE]-(ps:System)
      // a list per cabled port, in the order of the IF_* indexes below (small to decode)
      RETURN collect([i.name, i.speed_mbps, i.ipv4, ps.hostname, ps.role, pi.name, pi.ipv4,
                      ps.loopback]) AS interfaces
    }
    CALL (s) {
      MATCH (b:BgpSession)-[me:PEER]->(s)
      MATCH (b)-[:PEER]->(p:System) WHERE p <> s
      OPTIONAL MATCH (b)-[:OVER]->(:Link)-[:ENDPOINT]->(li:Interface)<-[:HAS_INTERFACE]-(s)
      RETURN collect([b.afi,
                      CASE me.side WHEN 'a' THEN b.b_ip ELSE b.a_ip END,
                      CASE me.side WHEN 'a' THEN b.b_asn ELSE b.a_asn END,
                      p.hostname, li.name, p.role]) AS sessions
    }
    CALL (rack) {
      OPTIONAL MATCH (v:VirtualNetwork)-[:BOUND_TO]->(rack)
      OPTIONAL MATCH (v)-[:IN_ZONE]->(z:RoutingZone)
      RETURN collect({name: v.id, vlan: v.vlan, vni: v.vni, vrf: z.vrf, l3vni: z.vni,
                      gateways: v.rack_gateways}) AS vns
    }
    OPTIONAL MATCH (d:Device)-[:ASSIGNED_TO]->(s)
    OPTIONAL MATCH (d)-[:HAS_CONFIG]->(pristine:Config {stage: 'pristine'})
    MATCH (bp:Blueprint {name: $bp})
    RETURN s.id AS id, s.hostname AS hostname, s.role AS role, s.asn AS asn,
           s.loopback AS loopback, s.ports AS ports, s.device_profile AS profile,
           rack.id AS rack, rack.server_attachment AS server_attachment,
           bp.overlay AS overlay, bp.asn_scheme AS asn_scheme,
           interfaces, sessions, vns,
           pristine.text AS pristine, s.tags AS tags, s.property_set AS properties,
           bp.property_set AS bp_properties
    """,
)
CONFIGLETS = Query(
    "contexts.configlets",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_CONFIGLET]->(c:Configlet)
    RETURN c.id AS id, c.definition AS definition, c.scope AS scope ORDER BY id
    """,
)
SWITCH_FACTS = Query(
    "contexts.switch_facts",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(s:System)
    WHERE s.role IN ['superspine', 'spine', 'leaf']
    OPTIONAL MATCH (s)-[:IN_RACK]->(rack:Rack)
    RETURN s.id AS id, s.role AS role, s.device_profile AS profile, rack.id AS rack,
           s.tags AS tags ORDER BY id
    """,
)
SWITCHES = Query(
    "contexts.switches",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(s:System)
    WHERE s.role IN ['superspine', 'spine', 'leaf']
    RETURN s.id AS id ORDER BY id
    """,
)


def switch_ids(graph: Graph, bp: str, tx: Tx | None = None) -> list[str]:
    rows = graph.run(tx, SWITCHES, bp=bp) if tx else graph.read(SWITCHES, bp=bp)
    return [str(r["id"]) for r in rows]


def fetch_rows(graph: Graph, bp: str, systems: list[str], tx: Tx | None = None) -> list[Row]:
    if tx is not None:
        return graph.run(tx, DEVICE_ROWS, bp=bp, systems=systems)
    return graph.read(DEVICE_ROWS, bp=bp, systems=systems)


# positions in the per-port and per-session lists DEVICE_ROWS returns
IF_NAME, IF_SPEED, IF_IPV4, IF_PEER, IF_PEER_ROLE, IF_PEER_IF, IF_PEER_IPV4, IF_PEER_LO = range(8)
S_AFI, S_PEER_IP, S_PEER_ASN, S_PEER, S_INTERFACE, S_PEER_ROLE = range(6)


def _interface(
    port: str, speed: int, cabled: list[Any] | None, vlans: list[int], attachment: str
) -> InterfaceContext:
    if cabled is None:
        return InterfaceContext(
            name=port,
            speed_mbps=speed,
            role="unused",
            description="",
            ipv4=None,
            peer_system=None,
            peer_interface=None,
            vlans=[],
            profile_speed_mbps=speed,
        )
    server = cabled[IF_PEER_ROLE] == "server"
    # a layer-2 server link has no address: its leaf port carries the rack's networks (a
    # routed /31 server link gets none: there a network is the rack's SVI gateway only)
    carried = list(vlans) if server and not cabled[IF_IPV4] else []
    interface = InterfaceContext(
        name=port,
        speed_mbps=int(cabled[IF_SPEED]),
        role="server" if server else "fabric",
        description=f"to {cabled[IF_PEER]}:{cabled[IF_PEER_IF]}",
        ipv4=cabled[IF_IPV4],
        peer_system=cabled[IF_PEER],
        peer_interface=cabled[IF_PEER_IF],
        vlans=carried,
        profile_speed_mbps=speed,
    )
    if carried and attachment == "access":
        interface["untagged"] = True
    return interface


def _neighbor(session: list[Any], allowas_in_from: str | None) -> BgpNeighborContext:
    neighbor = BgpNeighborContext(
        ip=str(session[S_PEER_IP]).split("/")[0],
        asn=int(session[S_PEER_ASN]),
        description=str(session[S_PEER]),
        interface=session[S_INTERFACE],
        afi=session[S_AFI],
    )
    if allowas_in_from is not None and session[S_PEER_ROLE] == allowas_in_from:
        neighbor["allowas_in"] = True
    return neighbor


def allowas_in_from(role: str, asn_scheme: str | None) -> str | None:
    """The peer role whose routes carry this switch's own ASN by design, or None.

    Scheme ``single`` (5-stage): every pod's spines share one ASN, so a spine sees it
    in the other pods' routes that its superspines pass on.
    """
    return "superspine" if role == "spine" and asn_scheme == "single" else None


def assemble(
    row: Mapping[str, Any],
    nos: str,
    port_speed: Callable[[str, str], int],
    configlets: Sequence[Attached] = (),
) -> DeviceContext:
    """A graph row -> the renderers' device context (pure).

    The last gate before text reaches a config: the switch's and its peers' hostnames
    (which become descriptions) must match their grammar, whatever wrote them.
    """
    HOSTNAME.check(f"System {row['id']}: hostname", row["hostname"])
    for peer in {*(i[IF_PEER] for i in row["interfaces"]), *(s[S_PEER] for s in row["sessions"])}:
        HOSTNAME.check(f"a peer of System {row['id']}: hostname", peer)
    by_name = {i[IF_NAME]: i for i in row["interfaces"]}
    vns = [v for v in row["vns"] if v.get("name") is not None]
    vlans = sorted(int(v["vlan"]) for v in vns)
    attachment = str(row.get("server_attachment") or "routed")
    interfaces = [
        _interface(
            port, port_speed(str(row["profile"]), port), by_name.get(port), vlans, attachment
        )
        for port in row["ports"]
    ]
    server_ports = [i["name"] for i in interfaces if i["vlans"]]
    routes = [
        StaticRouteContext(
            prefix=str(i[IF_PEER_LO]),
            next_hop=str(i[IF_PEER_IPV4]).split("/")[0],
            description=f"host {i[IF_PEER]}",
        )
        for i in sorted(row["interfaces"], key=lambda x: x[IF_NAME])
        if i[IF_PEER_ROLE] == "server" and i[IF_PEER_LO] and i[IF_PEER_IPV4]
    ]
    loopback = str(row["loopback"])
    own_asn_from = allowas_in_from(str(row["role"]), row.get("asn_scheme"))
    context = DeviceContext(
        hostname=str(row["hostname"]),
        nos=nos,
        role=cast(Any, row["role"]),
        pristine=str(row.get("pristine") or ""),
        interfaces=interfaces,
        fabric_mtu=FABRIC_MTU,
        asn=int(row["asn"]),
        loopback=loopback,
        router_id=loopback.split("/")[0],
        bgp_neighbors=sorted(
            (_neighbor(s, own_asn_from) for s in row["sessions"]),
            key=lambda n: (n["afi"], n["ip"]),
        ),
        overlay=cast(Any, row["overlay"]),
        virtual_networks=[
            VirtualNetworkContext(
                name=str(v["name"]),
                vlan=int(v["vlan"]),
                vni=v.get("vni"),
                vrf=str(v.get("vrf") or "default"),
                gateway=json.loads(v["gateways"] or "{}").get(row["rack"]),
                ports=server_ports,
                l3vni=v.get("l3vni"),
            )
            for v in sorted(vns, key=lambda v: int(v["vlan"]))
        ],
        static_routes=routes,
    )
    mine = for_device(configlets, nos, switch_facts(row))
    if mine:
        context["configlets"] = mine
    values = properties(row.get("bp_properties"), row.get("properties"))
    if values:
        context["property_sets"] = values
    return context
