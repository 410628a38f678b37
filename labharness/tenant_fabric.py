"""The tenant lab's fabric and job: the smallest EVPN fabric that shows virtual networks
across racks, its switches' documents rendered by ``renderers`` from device contexts, and
what the guest of ``lab.uml.tenants`` does with them (lab/README.md, "The tenant lab").

    spine1            AS 65000, EVPN route server (next hop unchanged)
     |    \\
    leaf1  leaf2      rack1 AS 65101, rack2 AS 65102; VTEPs 10.0.0.11 / 10.0.0.12
     |        |
    server1  server2  802.1Q trunks: web (VLAN 100, L2 VNI 10100) on both,
                      db (VLAN 200, L2 VNI 10200) on server2 only

Zone ``blue`` (VRF blue, L3 VNI 10001) holds both networks: web is stretched (one
subnet, the same anycast gateway 10.100.0.1 on both leafs), db lives in rack2. The
contexts are built here by hand: the blueprint's server links are routed /31s, so a
blueprint's networks never reach a server port yet.
"""

from __future__ import annotations

from typing import Any, Literal

from renderers import render
from renderers.context import (
    BgpNeighborContext,
    DeviceContext,
    InterfaceContext,
    Stage,
    VirtualNetworkContext,
)

SPINE = "spine1"
# leaf: (rack, ASN, loopback = VTEP, the spine's side of their /31)
LEAFS = {
    "leaf1": ("rack1", 65101, "10.0.0.11", "10.1.0.0"),
    "leaf2": ("rack2", 65102, "10.0.0.12", "10.1.0.2"),
}
SPINE_ASN, SPINE_LOOPBACK = 65000, "10.0.0.1"
ZONE, L3VNI = "blue", 10001
WEB = {"name": "web", "vlan": 100, "vni": 10100, "gateway": "10.100.0.1/16"}
APP = {"name": "app", "vlan": 300, "vni": 10300, "gateway": "10.30.0.1/16"}
DB = {"name": "db", "vlan": 200, "vni": 10200, "gateway": "10.200.2.1/24"}
SERVER_PORT = "swp3"
ADDRESSES = {
    "server1": {100: "10.100.0.11/16"},
    "server2": {100: "10.100.0.12/16", 200: "10.200.2.12/24"},
}


def topology() -> dict[str, Any]:
    ports = ["swp1", "swp2", "swp3"]
    servers = [
        {
            "name": s,
            "kind": "server",
            "host_address": f"{_host(a[100])}/32",
            "interfaces": [{"name": "eth0", "address": a[100], "gateway": "10.100.0.1"}],
        }
        for s, a in ADDRESSES.items()
    ]
    return {
        "name": "tenant-lab",
        "nodes": [
            {"name": SPINE, "kind": "switch", "ports": ports},
            *({"name": leaf, "kind": "switch", "ports": ports} for leaf in LEAFS),
            *servers,
        ],
        "links": [
            {"a": f"{SPINE}:swp1", "b": "leaf1:swp1"},
            {"a": f"{SPINE}:swp2", "b": "leaf2:swp1"},
            {"a": f"leaf1:{SERVER_PORT}", "b": "server1:eth0"},
            {"a": f"leaf2:{SERVER_PORT}", "b": "server2:eth0"},
        ],
    }


def _host(address: str) -> str:
    return address.split("/")[0]


def _port(
    name: str,
    role: Literal["fabric", "server", "unused"],
    description: str = "",
    ipv4: str | None = None,
    peer: tuple[str, str] | None = None,
    vlans: list[int] | None = None,
) -> InterfaceContext:
    return InterfaceContext(
        name=name,
        speed_mbps=10000,
        role=role,
        description=description,
        ipv4=ipv4,
        peer_system=peer[0] if peer else None,
        peer_interface=peer[1] if peer else None,
        vlans=vlans or [],
    )


def _neighbor(
    ip: str, asn: int, name: str, afi: Literal["ipv4", "evpn"], iface: str | None
) -> BgpNeighborContext:
    return BgpNeighborContext(ip=ip, asn=asn, description=name, interface=iface, afi=afi)


def _link_ips(spine_side: str) -> tuple[str, str]:
    """The spine's and the leaf's address of a /31 whose spine side is ``spine_side``."""
    last = int(spine_side.rsplit(".", 1)[1])
    return spine_side, f"{spine_side.rsplit('.', 1)[0]}.{last + 1}"


def spine_context() -> DeviceContext:
    ports, neighbors = [], []
    for index, (leaf, (_, asn, loopback, spine_ip)) in enumerate(LEAFS.items(), start=1):
        mine, theirs = _link_ips(spine_ip)
        port = f"swp{index}"
        ports.append(_port(port, "fabric", f"to {leaf}:swp1", f"{mine}/31", (leaf, "swp1")))
        neighbors.append(_neighbor(theirs, asn, leaf, "ipv4", port))
        neighbors.append(_neighbor(loopback, asn, leaf, "evpn", None))
    ports.append(_port("swp3", "unused"))
    return _context(SPINE, "spine", SPINE_ASN, SPINE_LOOPBACK, ports, neighbors, [])


def leaf_context(leaf: str, networks: list[dict[str, Any]]) -> DeviceContext:
    rack, asn, loopback, spine_ip = LEAFS[leaf]
    server = f"server{leaf[-1]}"
    mine, theirs = _link_ips(spine_ip)
    here = [vn for vn in networks if rack in vn["racks"]]
    vlans = sorted(vn["vlan"] for vn in here)
    ports = [
        _port("swp1", "fabric", f"to {SPINE}:swp{int(leaf[-1])}", f"{theirs}/31", (SPINE, "swp1")),
        _port("swp2", "unused"),
        _port(SERVER_PORT, "server", f"to {server}:eth0", None, (server, "eth0"), vlans),
    ]
    neighbors = [
        _neighbor(mine, SPINE_ASN, SPINE, "ipv4", "swp1"),
        _neighbor(SPINE_LOOPBACK, SPINE_ASN, SPINE, "evpn", None),
    ]
    vns = [
        VirtualNetworkContext(
            name=vn["name"],
            vlan=vn["vlan"],
            vni=vn["vni"],
            vrf=ZONE,
            gateway=vn["gateway"],
            ports=[SERVER_PORT],
            l3vni=L3VNI,
        )
        for vn in here
    ]
    return _context(leaf, "leaf", asn, loopback, ports, neighbors, vns)


def _context(
    hostname: str,
    role: Literal["spine", "leaf"],
    asn: int,
    loopback: str,
    ports: list[InterfaceContext],
    neighbors: list[BgpNeighborContext],
    vns: list[VirtualNetworkContext],
) -> DeviceContext:
    return DeviceContext(
        hostname=hostname,
        nos="linux_frr",
        role=role,
        pristine="",
        interfaces=ports,
        fabric_mtu=9050,
        asn=asn,
        loopback=f"{loopback}/32",
        router_id=loopback,
        bgp_neighbors=neighbors,
        overlay="evpn",
        virtual_networks=vns,
        static_routes=[],
    )


NETWORKS = [{**WEB, "racks": ["rack1", "rack2"]}, {**DB, "racks": ["rack2"]}]


def documents(networks: list[dict[str, Any]] | None = None) -> dict[str, str]:
    """Every switch's service document, rendered as the engine's renderer renders it."""
    nets = NETWORKS if networks is None else networks
    docs = {SPINE: render(spine_context(), Stage.SERVICE)}
    docs.update({leaf: render(leaf_context(leaf, nets), Stage.SERVICE) for leaf in LEAFS})
    return docs


def job(wait_s: float = 120.0) -> dict[str, Any]:
    """What the guest does: build, push, attach the servers, ping, collect evidence."""
    servers = {
        name: [
            {
                "parent": "eth0",
                "vlan": vlan,
                "address": address,
                "gateway": "10.100.0.1" if vlan == 100 else None,
            }
            for vlan, address in sorted(addresses.items())
        ]
        for name, addresses in ADDRESSES.items()
    }
    return {
        "topology": topology(),
        "documents": documents(),
        "servers": servers,
        "pings": [
            {"name": "web across racks (L2 VNI)", "from": "server1", "to": "10.100.0.12"},
            {"name": "web to db across racks (L3 VNI)", "from": "server1", "to": "10.200.2.12"},
            {"name": "anycast gateway of web on leaf1", "from": "server1", "to": "10.100.0.1"},
        ],
        "burst": {"from": "server1", "to": "10.100.0.12", "count": 10},
        "vxlan_devices": {"leaf1": ["vni10100"], "leaf2": ["vni10100"]},
        "evidence_from": list(LEAFS),
        "wait_s": wait_s,
        "steps": [_add_app(wait_s), _remove_app()],
    }


WITH_APP = [*NETWORKS, {**APP, "racks": ["rack1", "rack2"]}]


def _add_app(wait_s: float) -> dict[str, Any]:
    """Stage a network stretched across both racks on the running fabric, then commit it."""
    servers = {
        "server1": [{"parent": "eth0", "vlan": 300, "address": "10.30.0.11/16"}],
        "server2": [{"parent": "eth0", "vlan": 300, "address": "10.30.0.12/16"}],
    }
    return {
        "name": "add app",
        "documents": documents(WITH_APP),
        "servers": servers,
        "pings": [{"name": "app across racks (new L2 VNI)", "from": "server1", "to": "10.30.0.12"}],
        "watch": list(LEAFS),
        "untouched_devices": ["vni10100", "vni10001", "vlan100", "bridge"],
        "wait_s": wait_s,
    }


def _remove_app() -> dict[str, Any]:
    return {
        "name": "remove app",
        "documents": documents(NETWORKS),
        "watch": list(LEAFS),
        "untouched_devices": ["vni10100", "vni10001", "vlan100", "bridge"],
    }
