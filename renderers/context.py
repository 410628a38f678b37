"""The device context: everything a renderer may read, as plain JSON-able data.

A context is built by one graph query per device (``blueprint_engine``) and
passed to ``renderers.render(context, stage)``; renderers never do I/O.
Field names are the contract between the engine and the templates.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, NotRequired, TypedDict


class Nos(StrEnum):
    LINUX_FRR = "linux_frr"  # what the virtual lab runs (Cumulus/SONiC-like)
    EOS = "eos"
    NXOS = "nxos"
    JUNOS = "junos"


class Stage(StrEnum):
    DISCOVERY1 = "discovery1"  # pristine + all ports up, profile speeds, L3 mode, LLDP on
    DISCOVERY2 = "discovery2"  # discovery1 + hostname, descriptions, speeds, spine MTU 9050
    SERVICE = "service"  # discovery2 + full rendered config (L3, BGP, VLANs, VXLAN...)
    DRAIN = "drain"  # service + route-maps denying advertisements; server bonds removed


class InterfaceContext(TypedDict):
    name: str  # "swp1"
    speed_mbps: int
    role: Literal["fabric", "server", "unused"]
    description: str  # "" when unused; e.g. "to spine1:swp3" (facing spine1 swp3)
    ipv4: str | None  # "10.1.0.1/31" when the link is L3 in the blueprint
    peer_system: str | None
    peer_interface: str | None
    vlans: list[int]  # VLANs (virtual networks) carried to a server on this port
    # an access port: its one VLAN untagged (absent/False: the VLANs are 802.1Q tagged)
    untagged: NotRequired[bool]
    # Optional: the device profile's default speed, used by discovery1 (which
    # renders profile speeds); discovery2 on use the blueprint's ``speed_mbps``.
    profile_speed_mbps: NotRequired[int]


class BgpNeighborContext(TypedDict):
    ip: str  # peer address (no prefix length)
    asn: int  # peer ASN
    description: str  # peer hostname
    interface: str | None  # local interface the session rides on (underlay)
    afi: Literal["ipv4", "evpn"]
    # 5-stage scheme `single`: every pod's spines share one ASN, so a spine accepts its
    # own ASN once in paths from a superspine (routes of the other pods)
    allowas_in: NotRequired[bool]


class VirtualNetworkContext(TypedDict):
    name: str
    vlan: int
    vni: int | None  # EVPN/VXLAN only
    vrf: str
    gateway: str | None  # "10.100.1.1/24": this rack's anycast gateway on the SVI
    ports: list[str]  # server-facing interfaces carrying the VLAN (layer-2 server ports)
    # EVPN only: the L3 VNI of the network's routing zone (symmetric IRB); None or absent
    # in the default zone
    l3vni: NotRequired[int | None]


class StaticRouteContext(TypedDict):
    prefix: str  # "10.3.0.5/32" (a server's host address)
    next_hop: str  # "10.2.0.9"
    description: str


class ConfigletContext(TypedDict):
    name: str
    template: str  # Jinja2 source, rendered in a sandbox with the property sets
    section: NotRequired[str]  # linux_frr only: "frr" (default) or "interfaces"
    negation: NotRequired[str]  # eos/nxos/junos: what removes the configlet's lines


class DeviceContext(TypedDict):
    hostname: str
    nos: str  # a Nos value
    role: Literal["superspine", "spine", "leaf"]  # superspine and spine: transit tiers
    pristine: str  # the device's pristine config (kept through every stage)
    interfaces: list[InterfaceContext]  # every port of the device profile, in port order
    fabric_mtu: int  # 9050
    # Stages from discovery2 on also use:
    asn: NotRequired[int]
    loopback: NotRequired[str]  # "10.0.0.1/32"
    router_id: NotRequired[str]  # "10.0.0.1"
    bgp_neighbors: NotRequired[list[BgpNeighborContext]]
    overlay: NotRequired[Literal["ip_fabric", "evpn"]]
    virtual_networks: NotRequired[list[VirtualNetworkContext]]
    static_routes: NotRequired[list[StaticRouteContext]]
    dhcp_relay_servers: NotRequired[list[str]]
    configlets: NotRequired[list[ConfigletContext]]
    property_sets: NotRequired[dict[str, str]]
