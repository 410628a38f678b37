"""Stage rules as pure data: a device context + stage -> the variables templates read.

The lifecycle rules (seed 001) live here once, for every NOS; templates only
spell them in a NOS's syntax:

- discovery1: every port up, profile speed, L3 mode, LLDP on; the device's own hostname.
- discovery2: + blueprint hostname, descriptions, blueprint speeds, fabric MTU on the
  transit tiers (spines; in a 5-stage also superspines).
- service: + loopback, fabric and server /31s, fabric MTU on both ends, BGP, EVPN,
  VLANs/SVIs, VRFs, static routes, DHCP relay, configlets; unused ports shut.
- drain: + deny route-maps on every BGP neighbour (a superspine, spine or leaf alike:
  the sessions stay up, nothing is advertised or accepted, traffic leaves the switch);
  L2 server ports shut and out of the bridge.

A layer-2 server port is an access port (``untagged``: its one VLAN untagged) or an 802.1Q
trunk (its VLANs tagged).

Required service fields (``asn``, ``loopback``, ``router_id``...) are *not* read
here: templates read them, so a missing one raises through ``StrictUndefined``.
"""

from __future__ import annotations

import ipaddress
from typing import Any, cast

from renderers.context import (
    BgpNeighborContext,
    DeviceContext,
    InterfaceContext,
    Stage,
    StaticRouteContext,
    VirtualNetworkContext,
)
from renderers.errors import RenderError

STAGE_ORDER = (Stage.DISCOVERY1, Stage.DISCOVERY2, Stage.SERVICE, Stage.DRAIN)
# the tiers that carry traffic between leafs (discovery2's fabric MTU, EVPN next hops
# passed on unchanged): a 3-stage's spines, a 5-stage's pod spines and superspines
TRANSIT_ROLES = ("spine", "superspine")
# The anycast gateway MAC: the same on every leaf's SVI of a virtual network, so a server
# keeps its gateway's ARP entry wherever it moves (IANA's VRRP range, as FRR's topotests)
ANYCAST_GATEWAY_MAC = "00:00:5e:00:01:01"
# RDs (router-id:VNI) and RTs (VNI:VNI) carry the VNI in a 2-byte field
MAX_TAGGED_VNI = 65535


def at_least(stage: Stage, minimum: Stage) -> bool:
    """Whether ``stage`` includes everything ``minimum`` renders (stages are cumulative)."""
    return STAGE_ORDER.index(stage) >= STAGE_ORDER.index(minimum)


def interface_plan(iface: InterfaceContext, context: DeviceContext, stage: Stage) -> dict[str, Any]:
    """What one port looks like at one stage, NOS-independent."""
    blueprint = at_least(stage, Stage.DISCOVERY2)
    service = at_least(stage, Stage.SERVICE)
    fabric = iface["role"] == "fabric"
    speed = (
        iface["speed_mbps"] if blueprint else iface.get("profile_speed_mbps", iface["speed_mbps"])
    )
    mtu: int | None = None
    if (blueprint and fabric and context["role"] in TRANSIT_ROLES) or (service and fabric):
        mtu = context["fabric_mtu"]
    ipv4 = iface["ipv4"] if service else None
    vlans = sorted(iface["vlans"]) if service else []
    if ipv4 and vlans:
        raise RenderError(
            f"{context['hostname']}: port {iface['name']} has both an address ({ipv4}) "
            f"and VLANs {vlans}",
            allowed="a server port is either routed (ipv4) or carries VLANs, not both",
        )
    untagged = bool(iface.get("untagged")) and service
    if untagged and len(vlans) != 1:
        raise RenderError(
            f"{context['hostname']}: access port {iface['name']} has VLANs {vlans}",
            allowed="an access (untagged) port carries exactly one VLAN; a trunk carries many",
        )
    drained = stage == Stage.DRAIN and iface["role"] == "server" and bool(vlans)
    return {
        "name": iface["name"],
        "role": iface["role"],
        "speed_mbps": speed,
        "description": iface["description"] if blueprint else "",
        "mtu": mtu,
        "ipv4": ipv4,
        "vlans": vlans,
        "access_vlan": vlans[0] if untagged else None,
        "drained": drained,
        "shutdown": (service and iface["role"] == "unused") or drained,
    }


def _network(gateway: str) -> str:
    return str(ipaddress.ip_interface(gateway).network)


def _vrfs(vns: list[VirtualNetworkContext], evpn: bool) -> list[dict[str, Any]]:
    """Non-default VRFs in name order: the gateway subnets they advertise and, with EVPN,
    their routing zone's L3 VNI (``None`` when the zone has none)."""
    by_vrf: dict[str, list[str]] = {}
    l3vnis: dict[str, set[int]] = {}
    for vn in vns:
        if vn["vrf"] != "default":
            subnets = by_vrf.setdefault(vn["vrf"], [])
            if vn["gateway"]:
                subnets.append(_network(vn["gateway"]))
            if evpn and vn.get("l3vni") is not None:
                l3vnis.setdefault(vn["vrf"], set()).add(int(vn["l3vni"] or 0))
    for vrf, found in l3vnis.items():
        if len(found) > 1:
            raise RenderError(
                f"VRF {vrf} has L3 VNIs {sorted(found)} from its virtual networks",
                allowed="one L3 VNI per VRF (its routing zone's)",
            )
    return [
        {"name": name, "networks": nets, "l3vni": min(l3vnis[name]) if name in l3vnis else None}
        for name, nets in sorted(by_vrf.items())
    ]


def _route_tags(vrf: dict[str, Any], router_id: str) -> dict[str, Any]:
    """A VRF's RD and RT, from its L3 VNI (a stable allocated value), never from its position
    among the device's VRFs: adding a VRF renumbers nothing. ``None`` without an L3 VNI."""
    vni = vrf["l3vni"]
    if vni is None:
        return {**vrf, "rd": None, "rt": None}
    if vni > MAX_TAGGED_VNI:
        raise RenderError(
            f"VRF {vrf['name']}: L3 VNI {vni} does not fit the 2-byte field of its RD "
            f"({router_id}:{vni}) and RT ({vni}:{vni})",
            allowed=f"a vni pool within 1..{MAX_TAGGED_VNI}",
        )
    return {**vrf, "rd": f"{router_id}:{vni}", "rt": f"{vni}:{vni}"}


def _advertised(context: DeviceContext, vns: list[VirtualNetworkContext]) -> list[str]:
    """Leafs advertise server host routes and their default-VRF gateway subnets."""
    if context["role"] != "leaf":
        return []
    prefixes = [route["prefix"] for route in context.get("static_routes", [])]
    prefixes += [_network(vn["gateway"]) for vn in vns if vn["gateway"] and vn["vrf"] == "default"]
    return list(dict.fromkeys(prefixes))


def _by_address(neighbor: BgpNeighborContext) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(neighbor["ip"])


def _static_routes(context: DeviceContext) -> list[StaticRouteContext]:
    routes = context.get("static_routes", [])
    return sorted(routes, key=lambda r: (ipaddress.ip_network(r["prefix"]), r["next_hop"]))


def _neighbors(context: DeviceContext) -> tuple[list[BgpNeighborContext], list[BgpNeighborContext]]:
    """Underlay and overlay neighbours, each in address order (as FRR prints them)."""
    neighbors = sorted(
        (
            cast(BgpNeighborContext, {**n, "allowas_in": n.get("allowas_in", False)})
            for n in context.get("bgp_neighbors", [])
        ),
        key=_by_address,
    )
    underlay = [n for n in neighbors if n["afi"] == "ipv4"]
    overlay = [n for n in neighbors if n["afi"] == "evpn"]
    if overlay and context.get("overlay") != "evpn":
        raise RenderError(
            f"{context['hostname']}: EVPN neighbours {[n['ip'] for n in overlay]} "
            f"on a fabric whose overlay is {context.get('overlay', 'unset')!r}",
            allowed="afi 'evpn' neighbours only with overlay 'evpn'",
        )
    return underlay, overlay


def stage_variables(context: DeviceContext, stage: Stage, own_hostname: str) -> dict[str, Any]:
    """Every variable a top-level stage template may read.

    ``own_hostname`` is the device's own name (from its pristine config), kept by
    discovery1; later stages use the blueprint's ``hostname``.
    """
    service = at_least(stage, Stage.SERVICE)
    interfaces = [interface_plan(i, context, stage) for i in context["interfaces"]]
    vns = sorted(context.get("virtual_networks", []), key=lambda vn: vn["vlan"]) if service else []
    underlay, overlay = _neighbors(context) if service else ([], [])
    evpn = service and context.get("overlay") == "evpn"
    vxlan_vns = [vn for vn in vns if vn["vni"] is not None] if evpn else []
    vrfs = [_route_tags(vrf, str(context.get("router_id", ""))) for vrf in _vrfs(vns, evpn)]
    return {
        **context,
        "stage": str(stage),
        "transit": context["role"] in TRANSIT_ROLES,
        "blueprint": at_least(stage, Stage.DISCOVERY2),
        "service": service,
        "drain": stage == Stage.DRAIN,
        "system_hostname": context["hostname"]
        if at_least(stage, Stage.DISCOVERY2)
        else own_hostname,
        "ports": interfaces,
        "vns": vns,
        "evpn": evpn,
        "vxlan_vns": vxlan_vns,
        "vrfs": vrfs,
        "l3vnis": [vrf for vrf in vrfs if vrf["l3vni"] is not None],
        "anycast_mac": ANYCAST_GATEWAY_MAC,
        "neighbors": sorted(underlay + overlay, key=_by_address),
        "underlay_neighbors": underlay,
        "overlay_neighbors": overlay,
        "advertised": _advertised(context, vns) if service else [],
        "static_routes": _static_routes(context) if service else [],
        "dhcp_relay_servers": context.get("dhcp_relay_servers", []) if service else [],
        "bridge_ports": [p["name"] for p in interfaces if p["vlans"] and not p["drained"]]
        + [f"vni{vn['vni']}" for vn in vxlan_vns],
    }
