"""Plain data for a blueprint design: what a template instantiates into.

This is the pure core's view of a blueprint. ``design.build_design`` produces
it from a template and the catalogue; ``store`` writes it to Neo4j in batches.
Ids are stable, human-readable strings so that tests, diffs and Cypher stay
legible: systems ``spine1``, ``rack2-leaf1``, ``rack2-server3``; interfaces
``<system>:<ifname>``; links ``<a-interface>--<b-interface>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    SUPERSPINE = "superspine"  # 5-stage: the tier joining the pods, in planes
    SPINE = "spine"
    LEAF = "leaf"
    SERVER = "server"


class LinkRole(StrEnum):
    SUPERSPINE_SPINE = "superspine_spine"  # 5-stage: a pod spine to a superspine of its plane
    SPINE_LEAF = "spine_leaf"
    LEAF_LEAF = "leaf_leaf"  # collapsed: leafs cabled to each other, no spines
    LEAF_SERVER = "leaf_server"


class Overlay(StrEnum):
    IP_FABRIC = "ip_fabric"
    EVPN = "evpn"


@dataclass(frozen=True)
class System:
    id: str
    hostname: str
    role: Role
    rack: str | None
    logical_device: str
    device_profile: str | None  # None for generic servers
    asn: int | None = None  # switches only
    loopback: str | None = None  # "10.0.0.1/32"; servers: their host address
    ports: tuple[str, ...] = ()  # switches: every port of the device profile, in port order
    pod: str | None = None  # 5-stage: "pod1" for a pod's spines, leafs and servers
    plane: int | None = None  # 5-stage: a superspine's plane, a pod spine's plane


@dataclass(frozen=True)
class Interface:
    id: str  # "<system>:<name>"
    system: str
    name: str  # swp1.. on switches, eth0.. on servers
    speed_mbps: int
    ipv4: str | None = None  # "10.1.0.0/31" (address/prefix) when L3
    breakouts: tuple[str, ...] = ()  # breakout modes of the port: "4x25000"


@dataclass(frozen=True)
class Transceiver:
    id: str  # "<interface id>:xcvr"
    interface: str
    media: str  # e.g. "100GBASE-SR4"


@dataclass(frozen=True)
class Link:
    id: str  # "<a interface>--<b interface>"
    a: str  # interface id (spine side, or leaf side for server links)
    b: str
    role: LinkRole
    speed_mbps: int
    subnet: str | None = None  # "10.1.0.0/31"
    layer: int = 3  # 2: a layer-2 server link (no subnet; the leaf port is in the networks)


@dataclass(frozen=True)
class BgpSession:
    id: str  # "<a system>--<b system>[:evpn]"
    a: str  # system id
    b: str
    a_ip: str  # peering address (interface ip for underlay, loopback for evpn)
    b_ip: str
    a_asn: int
    b_asn: int
    afi: str  # "ipv4" (underlay over a link) or "evpn" (overlay between loopbacks)
    link: str | None  # the underlay link it rides on (None for overlay sessions)


@dataclass(frozen=True)
class RoutingZone:
    id: str  # name, e.g. "default", "blue"
    vrf: str
    vni: int | None = None


@dataclass(frozen=True)
class VirtualNetwork:
    id: str  # name
    vlan: int
    # "10.100.0.0/16"; with EVPN stretched over the bound racks (one anycast gateway), on
    # an IP fabric each bound rack gets a slice
    subnet: str
    routing_zone: str
    racks: tuple[str, ...]
    vni: int | None = None  # with the EVPN overlay
    # (rack, "10.100.1.1/24"); with EVPN every rack has the same (the anycast gateway)
    rack_gateways: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Rack:
    id: str  # "rack1"
    rack_type: str
    leafs: tuple[str, ...]
    servers: tuple[str, ...]
    redundancy: str  # "single" | "pair"
    pod: str | None = None  # 5-stage: the pod the rack belongs to
    # the rack type's servers: "routed" (/31s), "access" (one network untagged) or "trunk"
    server_attachment: str = "routed"


@dataclass(frozen=True)
class Pod:
    """5-stage: a pod (spines and racks built from a rack-based template)."""

    id: str  # "pod1"
    template: str  # the rack-based template it was built from
    spines: tuple[str, ...]
    racks: tuple[str, ...]
    asn: int | None = None  # its spine tier's ASN


@dataclass(frozen=True)
class Allocation:
    """One resource held by one piece of intent; unique per (pool, value)."""

    pool: str  # pool id, e.g. "asn-leaf", "ipv4-loopback", "ipv4-fabric"
    value: str  # "65101", "10.0.0.1/32", "10.1.0.0/31", "10100", "100"
    owner: str  # id of the node that holds it


@dataclass(frozen=True)
class Pool:
    id: str
    kind: str  # "asn" | "ipv4" | "vni" | "vlan"
    ranges: tuple[str, ...]  # asn/vni/vlan: "65100-65999"; ipv4: "10.0.0.0/16"
    prefix_len: int | None = None  # ipv4: size of each allocation (32, 31, 24...)
    policy: str = "lowest_free"  # allocation.Policy: "lowest_free" | "sequential_from_last"


@dataclass
class BlueprintDesign:
    name: str
    template: str
    overlay: Overlay
    stages: int = 3  # 3 (rack-based), 5 (pod-based) or 1 (collapsed: leafs only)
    planes: int = 0  # 5-stage: superspine planes, fixed at build
    asn_scheme: str = "spine-layer-shared-leaf-unique"
    pods: list[Pod] = field(default_factory=list)
    racks: list[Rack] = field(default_factory=list)
    systems: list[System] = field(default_factory=list)
    interfaces: list[Interface] = field(default_factory=list)
    transceivers: list[Transceiver] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    sessions: list[BgpSession] = field(default_factory=list)
    routing_zones: list[RoutingZone] = field(default_factory=list)
    virtual_networks: list[VirtualNetwork] = field(default_factory=list)
    pools: list[Pool] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)
