"""Routing zones and virtual networks (pure).

The ``default`` routing zone (VRF ``default``) always exists. With the EVPN
overlay every other routing zone gets an L3 VNI and every virtual network an
L2 VNI from pool ``vni``. A virtual network gets a VLAN from pool ``vlan``
(or its explicit one) and a subnet from pool ``ipv4-vn``.

With EVPN the network is stretched: one subnet over every bound rack, its VXLAN carrying
the layer 2 between them, and one anycast gateway (the subnet's first usable address, the
same address and MAC on every leaf serving it). On an IP fabric (no overlay, so no layer 2
between racks) each bound rack, in rack order, gets the next ``/rack_prefix_len`` slice of
the subnet, its gateway the slice's first usable address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from blueprint_engine.catalogue.models import RoutingZoneSpec, VirtualNetworkSpec
from blueprint_engine.design.model import Overlay, Rack, RoutingZone, VirtualNetwork
from blueprint_engine.errors import ConflictError, NotFoundError, ValidationError
from blueprint_engine.resources.allocation import Allocator, PoolId

DEFAULT_ZONE = RoutingZone("default", "default", None)


def rack_number(rack_id: str) -> int:
    return int(rack_id.removeprefix("rack"))


def network_demand(
    zones: Sequence[RoutingZoneSpec], networks: Sequence[VirtualNetworkSpec], overlay: Overlay
) -> dict[str, int]:
    """Resources the routing zones and virtual networks allocate, per pool id."""
    demand: dict[str, int] = {}
    if networks:
        demand[PoolId.VIRTUAL_NETWORK] = len(networks)
        demand[PoolId.VLAN] = sum(1 for network in networks if network.vlan is None)
    if overlay == Overlay.EVPN:
        demand[PoolId.VNI] = len(zones) + len(networks)
    return demand


def routing_zone(spec: RoutingZoneSpec, overlay: Overlay, allocator: Allocator) -> RoutingZone:
    vni = None
    if overlay == Overlay.EVPN:
        vni = int(allocator.allocate(PoolId.VNI, spec.name).value)
    return RoutingZone(spec.name, spec.vrf or spec.name, vni)


def _bound_racks(spec: VirtualNetworkSpec, racks: Sequence[Rack]) -> list[str]:
    known = {rack.id for rack in racks}
    missing = sorted(set(spec.racks) - known, key=rack_number)
    if missing:
        raise NotFoundError(
            f"virtual network {spec.name} names unknown rack(s) {', '.join(missing)}",
            allowed=sorted(known, key=rack_number),
        )
    bound = {rack.id for rack in racks if rack.rack_type in spec.rack_types} | set(spec.racks)
    if not bound:
        raise ValidationError(
            f"virtual network {spec.name} is bound to no rack"
            + (f" (no rack is of type {', '.join(spec.rack_types)})" if spec.rack_types else ""),
            allowed="at least one rack: racks [rackN, ...] or rack_types of racks that exist",
        )
    return sorted(bound, key=rack_number)


def check_new_network(
    spec: VirtualNetworkSpec, zones: Sequence[RoutingZone], taken_names: Sequence[str]
) -> None:
    if spec.name in taken_names:
        raise ConflictError(
            f"name {spec.name!r} is already used by a virtual network or routing zone",
            allowed="a name not used by another virtual network or routing zone",
        )
    if spec.routing_zone not in {zone.id for zone in zones}:
        raise NotFoundError(
            f"routing zone {spec.routing_zone!r} does not exist",
            allowed=[zone.id for zone in zones],
        )


def virtual_network(
    spec: VirtualNetworkSpec, racks: Sequence[Rack], overlay: Overlay, allocator: Allocator
) -> VirtualNetwork:
    bound = _bound_racks(spec, racks)
    if spec.vlan is None:
        vlan = int(allocator.allocate(PoolId.VLAN, spec.name).value)
    else:
        vlan = int(allocator.claim(PoolId.VLAN, str(spec.vlan), spec.name).value)
    vni = int(allocator.allocate(PoolId.VNI, spec.name).value) if overlay == Overlay.EVPN else None
    subnet = ipaddress.IPv4Network(allocator.allocate(PoolId.VIRTUAL_NETWORK, spec.name).value)
    if overlay == Overlay.EVPN:
        anycast = f"{subnet.network_address + 1}/{subnet.prefixlen}"
        gateways = tuple((rack, anycast) for rack in bound)
    else:
        gateways = _rack_slices(spec, subnet, bound)
    return VirtualNetwork(
        spec.name, vlan, str(subnet), spec.routing_zone, tuple(bound), vni, gateways
    )


def _rack_slices(
    spec: VirtualNetworkSpec, subnet: ipaddress.IPv4Network, bound: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    """IP fabric: each bound rack's slice of the subnet, with its first address as gateway."""
    if spec.rack_prefix_len < subnet.prefixlen:
        raise ValidationError(
            f"virtual network {spec.name}: a /{spec.rack_prefix_len} rack slice does not fit "
            f"in its /{subnet.prefixlen} subnet",
            allowed=f"rack_prefix_len between {subnet.prefixlen} and 30",
        )
    slices = 1 << (spec.rack_prefix_len - subnet.prefixlen)
    if len(bound) > slices:
        raise ValidationError(
            f"virtual network {spec.name} binds {len(bound)} racks but its subnet {subnet} "
            f"has {slices} /{spec.rack_prefix_len} slice(s)",
            allowed=f"at most {slices} racks, or a longer rack_prefix_len",
        )
    size = 1 << (32 - spec.rack_prefix_len)
    base = int(subnet.network_address)
    return tuple(
        (rack, f"{ipaddress.IPv4Address(base + index * size + 1)}/{spec.rack_prefix_len}")
        for index, rack in enumerate(bound)
    )


def check_access_racks(racks: Sequence[Rack], networks: Sequence[VirtualNetwork]) -> None:
    """An access port carries one untagged network: a rack whose servers are attached on
    access ports may have at most one virtual network bound to it."""
    for rack in racks:
        if rack.server_attachment != "access":
            continue
        bound = sorted(network.id for network in networks if rack.id in network.racks)
        if len(bound) > 1:
            raise ValidationError(
                f"rack {rack.id} attaches its servers on access ports (one untagged network) "
                f"but virtual networks {', '.join(bound)} are bound to it",
                allowed="one network per access rack, or a rack type with attachment trunk",
            )
