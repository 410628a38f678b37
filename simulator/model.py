"""SIMULATION: the getter answers of simulated switches, derived from intent. Pure.

Each simulated switch answers the NAPALM getters the collector runs
(``workers.collect.run_getters``) with the *shape and values* recorded from the
virtual lab (``fixtures/telemetry/lab/healthy``: facts, interface and LLDP
records, BGP peer counters, optics lanes, RIB entries) and the *names and
addresses* of its blueprint system (hostname, ports, link peers, BGP peer
addresses and ASNs, loopbacks, transceivers): a fabric that looks healthy to
the collector, at any size.

The simulated RIB holds the routes the collector checks (the peers' loopbacks,
through the underlay peers), the switch's own loopback and its connected link
subnets; a full-fabric RIB is not simulated.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blueprint_engine.design.model import BlueprintDesign, Interface, Role
from telemetry.collect_map import DeviceIntent

GETTERS = (
    "get_facts",
    "get_interfaces",
    "get_lldp_neighbors_detail",
    "get_bgp_neighbors",
    "get_optics",
    "get_route_to",
    "get_interfaces_counters",
)
# the simulated traffic of a linked port: octets per second, from this range by port
OCTETS_PER_S = (1_000_000, 50_000_000)
RECORDED = Path(__file__).resolve().parent.parent / "fixtures" / "telemetry" / "lab" / "healthy"


@dataclass(frozen=True)
class Samples:
    """What the recorded lab outputs contribute: one record of each kind, and every
    optics lane set recorded (cycled over the simulated ports)."""

    facts: dict[str, Any]
    interface: dict[str, Any]
    lldp: dict[str, Any]
    bgp_peer: dict[str, Any]
    route: dict[str, Any]
    optics: tuple[dict[str, Any], ...]


def samples_from(recordings: Iterable[Mapping[str, Any]]) -> Samples:
    """The samples of recorded getter results (one mapping per recorded switch)."""
    recs = [r for r in recordings if r.get("get_facts")]
    if not recs:
        raise ValueError("no recorded switch with get_facts: expected lab getter recordings")
    first = recs[0]
    ifaces = [v for r in recs for k, v in r["get_interfaces"].items() if k != "lo" and v["is_up"]]
    lldp = [e for r in recs for v in r["get_lldp_neighbors_detail"].values() for e in v]
    peers = [p for r in recs for p in r["get_bgp_neighbors"]["global"]["peers"].values()]
    routes = [
        e for r in recs for v in r["get_route_to"].values() for e in v if e["protocol"] == "bgp"
    ]
    optics = [v for r in recs for _, v in sorted(r["get_optics"].items())]
    if not (ifaces and lldp and peers and routes and optics):
        raise ValueError("the recordings lack an up interface, LLDP, BGP, a BGP route or optics")
    facts = {k: first["get_facts"][k] for k in ("model", "os_version", "vendor")}
    return Samples(facts, ifaces[0], lldp[0], peers[0], routes[0], tuple(optics))


def load_samples(folder: Path = RECORDED) -> Samples:
    return samples_from(
        json.loads(p.read_text()) for p in sorted(folder.glob("*.json")) if p.name != "fault.json"
    )


def _pick(key: str, choices: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    digest = hashlib.sha256(key.encode()).digest()
    return choices[int.from_bytes(digest[:4], "big") % len(choices)]


def _mac(key: str) -> str:
    raw = bytearray(hashlib.sha256(key.encode()).digest()[:6])
    raw[0] = (raw[0] | 0x02) & 0xFE  # locally administered, unicast
    return ":".join(f"{b:02X}" for b in raw)


def _host(prefix: str | None) -> str:
    return str(ipaddress.ip_interface(prefix).ip) if prefix else ""


class _Fabric:
    """The design indexed for the getters: systems, interfaces, each port's link peer."""

    def __init__(self, design: BlueprintDesign, intents: dict[str, DeviceIntent]) -> None:
        self.design = design
        self.intents = intents
        self.systems = {s.id: s for s in design.systems}
        self.ifaces = {i.id: i for i in design.interfaces}
        self.peer_of: dict[str, str] = {}
        self.on: dict[str, list[Interface]] = {}
        for i in design.interfaces:
            self.on.setdefault(i.system, []).append(i)
        for link in design.links:
            self.peer_of[link.a], self.peer_of[link.b] = link.b, link.a


def _interfaces(f: _Fabric, system: str, samples: Samples) -> dict[str, Any]:
    s = f.systems[system]
    out: dict[str, Any] = {
        "lo": {
            "description": "",
            "is_enabled": True,
            "is_up": True,
            "last_flapped": -1.0,
            "mac_address": "00:00:00:00:00:00",
            "mtu": 65536,
            "speed": 0.0,
        }
    }
    speeds = {i.name: i.speed_mbps for i in f.on.get(system, [])}
    for port in s.ports:
        iid = f"{system}:{port}"
        peer = f.peer_of.get(iid)
        up = peer is not None
        peer_role = f.systems[f.ifaces[peer].system].role if peer else None
        out[port] = {
            **samples.interface,
            "description": f"to {peer}" if peer else "",
            "is_enabled": up,
            "is_up": up,
            "mac_address": _mac(f"{f.design.name}/{iid}"),
            "mtu": samples.interface["mtu"] if up and peer_role != Role.SERVER else 1500,
            "speed": float(speeds.get(port, samples.interface["speed"])),
        }
    return out


def _lldp(f: _Fabric, system: str, samples: Samples) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for iface in f.on.get(system, []):
        peer = f.peer_of.get(iface.id)
        if peer is None:
            continue
        far = f.ifaces[peer]
        far_system = f.systems[far.system]
        if far_system.role == Role.SERVER:
            continue  # the lab's servers run no LLDP agent
        out[iface.name] = [
            {
                **samples.lldp,
                "remote_chassis_id": _mac(f"{f.design.name}/{far.system}").lower(),
                "remote_port": far.name,
                "remote_port_description": f"to {iface.id}",
                "remote_system_name": far_system.hostname,
            }
        ]
    return out


def _bgp(f: _Fabric, system: str, samples: Samples) -> dict[str, Any]:
    me = f.systems[system]
    peers: dict[str, Any] = {}
    for ses in f.intents[system].sessions:
        peer = f.systems[ses.peer]
        afi = "l2vpn" if ses.id.endswith(":evpn") else "ipv4"
        counters = next(iter(samples.bgp_peer["address_family"].values()))
        peers[ses.peer_ip] = {
            **samples.bgp_peer,
            "address_family": {afi: dict(counters)},
            "description": peer.hostname,
            "local_as": me.asn,
            "remote_as": peer.asn,
            "remote_id": _host(peer.loopback),
            "is_enabled": True,
            "is_up": True,
        }
    return {"global": {"router_id": _host(me.loopback), "peers": peers}}


def _optics(f: _Fabric, system: str, samples: Samples) -> dict[str, Any]:
    return {
        i.name: _pick(f"{f.design.name}/{i.id}", samples.optics)
        for i in f.intents[system].interfaces
        if i.transceiver is not None
    }


def _route(samples: Samples, **fields: Any) -> dict[str, Any]:
    return {**samples.route, **fields}


def _rib(f: _Fabric, system: str, samples: Samples) -> dict[str, Any]:
    me = f.systems[system]
    rib: dict[str, Any] = {}
    connected = dict(protocol="connected", preference=0, next_hop="")
    if me.loopback:
        rib[me.loopback] = [_route(samples, outgoing_interface="lo", **connected)]
    for iface in f.on.get(system, []):
        if not iface.ipv4:
            continue
        net = str(ipaddress.ip_interface(iface.ipv4).network)
        rib[net] = [_route(samples, outgoing_interface=iface.name, **connected)]
    sessions = f.intents[system].sessions
    underlay = {s.peer: s.peer_ip for s in sessions if not s.id.endswith(":evpn")}
    uplinks = sorted(underlay.values())
    for ses in sessions:
        if not ses.peer_loopback or ses.peer_loopback in rib:
            continue
        hops = [underlay[ses.peer]] if ses.peer in underlay else uplinks
        rib[ses.peer_loopback] = [_route(samples, next_hop=h, outgoing_interface="") for h in hops]
    return rib


def _port_rates(f: _Fabric, system: str) -> dict[str, int]:
    """Octets per second each linked port sends (its counters grow by that much a second)."""
    low, high = OCTETS_PER_S
    out: dict[str, int] = {}
    for iface in f.on.get(system, []):
        if f.peer_of.get(iface.id) is None:
            continue
        digest = hashlib.sha256(f"{f.design.name}/{iface.id}".encode()).digest()
        out[iface.name] = low + int.from_bytes(digest[:4], "big") % (high - low)
    return out


def counters_at(rates: Mapping[str, int], elapsed_s: float) -> dict[str, Any]:
    """``get_interfaces_counters`` of a simulated switch ``elapsed_s`` after it started:
    each port's counters grew at its rate (packets of 1,000 octets), with no errors."""
    out: dict[str, Any] = {}
    for port, rate in rates.items():
        octets = int(rate * max(0.0, elapsed_s))
        packets = octets // 1000
        out[port] = {
            "rx_octets": octets,
            "tx_octets": octets,
            "rx_unicast_packets": packets,
            "tx_unicast_packets": packets,
            "rx_multicast_packets": 0,
            "tx_multicast_packets": 0,
            "rx_broadcast_packets": 0,
            "tx_broadcast_packets": 0,
            "rx_errors": 0,
            "tx_errors": 0,
            "rx_discards": 0,
            "tx_discards": 0,
        }
    return out


def simulated_switches(
    design: BlueprintDesign, intents: Iterable[DeviceIntent], samples: Samples
) -> dict[str, dict[str, Any]]:
    """``{system id: {getter name: result}}`` for every switch of ``design``."""
    fabric = _Fabric(design, {i.system: i for i in intents})
    out: dict[str, dict[str, Any]] = {}
    for s in design.systems:
        if s.role == Role.SERVER or s.id not in fabric.intents:
            continue
        ports = ["lo", *s.ports]
        out[s.id] = {
            "get_facts": {
                **samples.facts,
                "fqdn": s.hostname,
                "hostname": s.hostname,
                "interface_list": ports,
                "serial_number": f"SIM-{design.name}-{s.id}",
                "uptime": 86400.0,
            },
            "get_interfaces": _interfaces(fabric, s.id, samples),
            "get_lldp_neighbors_detail": _lldp(fabric, s.id, samples),
            "get_bgp_neighbors": _bgp(fabric, s.id, samples),
            "get_optics": _optics(fabric, s.id, samples),
            "get_route_to": _rib(fabric, s.id, samples),
            # the ports' rates: the answer is ``counters_at`` the time asked
            "get_interfaces_counters": _port_rates(fabric, s.id),
        }
    return out


def initial_running_config(hostname: str) -> str:
    """What a simulated switch runs before anything is pushed to it."""
    return f"### /etc/hostname\n{hostname}\n"
