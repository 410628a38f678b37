"""The tenant lab's fabric and job, from a committed blueprint (lab/README.md, "The
tenant lab"): template ``lab-tenants`` built in the graph, every switch's document the
engine's own rendering of it, and what the guest of ``lab.uml.tenants`` does with them.

    spine1                 EVPN route server (next hop unchanged)
     |     \\
    rack1-leaf1  rack2-leaf1     one VTEP each (their loopbacks)
     |             |
    rack1-server1  rack2-server1  802.1Q trunks (rack type lab-l2-leaf, attachment trunk):
                                  web stretched over both racks, db in rack2 only

Zone ``blue`` (its VRF with the L3 VNI allocated from pool ``vni``) holds both networks.
Everything a check needs (VNIs, VLANs, subnets, VTEPs, leaf names) is read back from the
blueprint, not written here. Adding and removing a network (``app``, stretched) are staged
and committed on the blueprint; each step's documents are the engine's rendering after
that commit, and the guest pushes only the documents that changed.

Servers' side: the blueprint does not allocate a server's address inside a network yet, so
the lab gives ``rackN-serverM`` host ``10 * N + M`` of each network's subnet (web on
rack1-server1: 10.100.0.11) and its default route through the first network's anycast
gateway.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.lab_topology import lab_topology
from blueprint_engine.design.model import Role
from blueprint_engine.design.reader import read_cabling
from renderers.context import DeviceContext

TEMPLATE = "lab-tenants"
STRETCHED, LOCAL, ZONE = "web", "db", "blue"  # the template's networks and routing zone
ADDED = {"name": "app", "routing_zone": ZONE, "vlan": 300}  # staged later, on every rack
AUTHOR = "tenant-lab"


@dataclass(frozen=True)
class Network:
    name: str
    vlan: int
    vni: int
    subnet: str  # "10.100.0.0/16"
    gateway: str  # the anycast gateway, "10.100.0.1/16"
    leafs: tuple[str, ...]  # the leafs serving it (in id order)


@dataclass(frozen=True)
class Fabric:
    """What the blueprint says, as of one commit: documents and the facts checks read."""

    documents: dict[str, str]
    networks: dict[str, Network]
    l3vni: int  # the zone's
    vteps: dict[str, str]  # leaf -> its loopback address
    servers: dict[str, tuple[str, str, str]]  # server -> (its leaf, its rack, its port)
    spines: tuple[str, ...] = field(default=())

    @property
    def leafs(self) -> list[str]:
        return sorted(self.vteps)

    def address(self, server: str, network: str) -> str:
        """The lab's address of ``server`` in ``network`` (see the module's docstring)."""
        _, rack, _ = self.servers[server]
        index = 10 * int(rack.removeprefix("rack")) + int(server.rsplit("server", 1)[1])
        subnet = ipaddress.IPv4Network(self.networks[network].subnet)
        return f"{subnet[index]}/{subnet.prefixlen}"

    def server_of(self, leaf: str) -> str:
        return next(s for s, (at, _, _) in sorted(self.servers.items()) if at == leaf)

    def vlans_of(self, server: str, only: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """``server``'s VLAN subinterfaces: one per network its leaf serves (or of ``only``)."""
        leaf, _, _ = self.servers[server]
        mine = [n for n in self.networks.values() if leaf in n.leafs]
        mine = [n for n in mine if only is None or n.name in only]
        first = min((n.vlan for n in mine), default=None)
        return [
            {
                "parent": "eth0",
                "vlan": n.vlan,
                "address": self.address(server, n.name),
                "gateway": _bare(n.gateway) if n.vlan == first and only is None else None,
            }
            for n in sorted(mine, key=lambda n: n.vlan)
        ]


def _bare(address: str) -> str:
    return address.split("/")[0]


def read_fabric(blueprints: Blueprints, bp: str) -> Fabric:
    """The blueprint's active state: each switch's rendered document and the tenant facts."""
    design = read_cabling(blueprints.graph, bp)
    switches = sorted(s.id for s in design.systems if s.role != Role.SERVER)
    contexts = blueprints.configs.contexts(bp, switches)
    documents = blueprints.configs.render(bp, switches)
    leafs = {sid: c for sid, c in contexts.items() if c["role"] == "leaf"}
    servers = {}
    for leaf, context in leafs.items():
        for port in context["interfaces"]:
            if port["role"] == "server" and port["peer_system"]:
                if port.get("untagged"):
                    raise ValueError(f"{leaf}:{port['name']}: the lab attaches trunks only")
                rack = next(s.rack for s in design.systems if s.id == leaf)
                servers[port["peer_system"]] = (leaf, str(rack), port["name"])
    return Fabric(
        documents=documents,
        networks=_networks(leafs),
        l3vni=_zone_vni(leafs),
        vteps={leaf: str(c["router_id"]) for leaf, c in leafs.items()},
        servers=servers,
        spines=tuple(sid for sid, c in sorted(contexts.items()) if c["role"] != "leaf"),
    )


def _networks(leafs: Mapping[str, DeviceContext]) -> dict[str, Network]:
    found: dict[str, Network] = {}
    for leaf, context in sorted(leafs.items()):
        for vn in context.get("virtual_networks", []):
            gateway, vni = vn["gateway"], vn["vni"]
            if gateway is None or vni is None:
                raise ValueError(f"{leaf}: network {vn['name']} has no gateway or VNI")
            known = found.get(vn["name"])
            if known is not None and (known.gateway, known.vni) != (gateway, vni):
                raise ValueError(f"{vn['name']} differs between leafs: not one network")
            served = (known.leafs if known else ()) + (leaf,)
            subnet = str(ipaddress.ip_interface(gateway).network)
            found[vn["name"]] = Network(vn["name"], vn["vlan"], vni, subnet, gateway, served)
    return found


def _zone_vni(leafs: Mapping[str, DeviceContext]) -> int:
    vnis = {
        vn.get("l3vni")
        for c in leafs.values()
        for vn in c.get("virtual_networks", [])
        if vn["vrf"] == ZONE
    }
    if len(vnis) != 1 or None in vnis:
        raise ValueError(f"zone {ZONE} has L3 VNIs {vnis}: expected one")
    return int(next(iter(vnis)) or 0)


def _commit(blueprints: Blueprints, bp: str, edit: dict[str, Any], message: str) -> float:
    """Stage ``edit`` and commit it; the seconds the stage and commit took."""
    started = time.monotonic()
    version = blueprints.staging.version(bp)
    version = blueprints.staging.stage(bp, edit, base_version=version, author=AUTHOR)
    blueprints.commit(bp, base_version=version, author=AUTHOR, message=message)
    return round(time.monotonic() - started, 3)


@dataclass(frozen=True)
class TenantLab:
    """The job for the guest and the blueprint's facts at each of its steps."""

    job: dict[str, Any]
    base: Fabric
    with_added: Fabric
    after_removal: Fabric
    added_commit_s: float  # staging and committing the added network in the graph


def build(blueprints: Blueprints, bp: str, wait_s: float = 120.0) -> TenantLab:
    """Create ``bp`` from ``lab-tenants``, then commit the added network and its removal;
    the job pushes each state's documents in turn."""
    blueprints.create(bp, TEMPLATE)
    base = read_fabric(blueprints, bp)
    racks = sorted({rack for _, rack, _ in base.servers.values()})
    add = {"kind": "add_virtual_network", "params": {**ADDED, "racks": racks}}
    commit_s = _commit(blueprints, bp, add, f"{ADDED['name']} stretched over {', '.join(racks)}")
    with_added = read_fabric(blueprints, bp)
    remove = {"kind": "remove_virtual_network", "params": {"name": ADDED["name"]}}
    _commit(blueprints, bp, remove, f"{ADDED['name']} removed")
    after = read_fabric(blueprints, bp)
    topology = topology_of(bp, blueprints, base)
    job = _job(topology, base, with_added, after, wait_s)
    return TenantLab(job, base, with_added, after, commit_s)


def topology_of(bp: str, blueprints: Blueprints, base: Fabric) -> dict[str, Any]:
    """The blueprint's cabling; servers get their first network's address to start with
    (the guest moves it onto the VLAN subinterfaces)."""
    topology = lab_topology(read_cabling(blueprints.graph, bp))
    for node in topology["nodes"]:
        if node["kind"] == "server":
            (first, *_) = base.vlans_of(node["name"])
            node["host_address"] = f"{_bare(first['address'])}/32"
            node["interfaces"] = [
                {"name": first["parent"], "address": first["address"], "gateway": first["gateway"]}
            ]
    return topology


def _untouched(base: Fabric) -> list[str]:
    web = base.networks[STRETCHED]
    return [f"vni{web.vni}", f"vni{base.l3vni}", f"vlan{web.vlan}", "bridge"]


# the pings of the job, by name (the lab test reads them back by these names)
WEB, DB, GATEWAY = "web across racks (L2 VNI)", "web to db across racks (L3 VNI)", "anycast gateway"
ADDED_PING = "app across racks (new L2 VNI)"


def checks_job(topology: dict[str, Any], base: Fabric, wait_s: float) -> dict[str, Any]:
    """The lab, its servers and the checks on them: pings, VXLAN counters, EVPN evidence."""
    web, db = base.networks[STRETCHED], base.networks[LOCAL]
    first, other = web.leafs[0], web.leafs[-1]
    source, far = base.server_of(first), base.server_of(other)
    db_server = base.server_of(db.leafs[0])
    vxlan = f"vni{web.vni}"
    return {
        "topology": topology,
        "servers": {server: base.vlans_of(server) for server in sorted(base.servers)},
        "pings": [
            {"name": WEB, "from": source, "to": _bare(base.address(far, STRETCHED))},
            {"name": DB, "from": source, "to": _bare(base.address(db_server, LOCAL))},
            {"name": GATEWAY, "from": source, "to": _bare(web.gateway)},
        ],
        "burst": {"from": source, "to": _bare(base.address(far, STRETCHED)), "count": 10},
        "vxlan_devices": {leaf: [vxlan] for leaf in web.leafs},
        "evidence_from": base.leafs,
        "wait_s": wait_s,
    }


def _job(
    topology: dict[str, Any], base: Fabric, with_added: Fabric, after: Fabric, wait_s: float
) -> dict[str, Any]:
    """What the guest does: build, push, attach the servers, ping, collect evidence, then
    push the committed addition and removal (only the documents that changed)."""
    web = base.networks[STRETCHED]
    source, far = base.server_of(web.leafs[0]), base.server_of(web.leafs[-1])
    return {
        **checks_job(topology, base, wait_s),
        "documents": base.documents,
        "steps": [
            {
                "name": "add app",
                "documents": with_added.documents,
                "servers": {
                    server: with_added.vlans_of(server, only=[str(ADDED["name"])])
                    for server in sorted(with_added.servers)
                },
                "pings": [
                    {
                        "name": ADDED_PING,
                        "from": source,
                        "to": _bare(with_added.address(far, str(ADDED["name"]))),
                    }
                ],
                "watch": base.leafs,
                "untouched_devices": _untouched(base),
                "wait_s": wait_s,
            },
            {
                "name": "remove app",
                "documents": after.documents,
                "watch": base.leafs,
                "untouched_devices": _untouched(base),
            },
        ],
    }
