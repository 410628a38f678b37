"""Spines, racks and their cabling, addressing and BGP sessions (pure).

Cabling order: each leaf takes its spine uplinks first (one per spine, in
spine order), then its server ports; each spine takes one port per leaf in
leaf order (rack by rack). Ports are taken in logical port order among the
ports whose roles allow the peer. Every spine-leaf link is a /31 from
``ipv4-fabric`` (spine even, leaf odd) carrying one eBGP ipv4 session; every
leaf-server link of a routed rack is a /31 from ``ipv4-server-link`` (leaf even, server
odd) and its server has a host address from ``ipv4-server-host``; a rack whose servers are
attached at layer 2 (``access``/``trunk``) has neither: its server links are layer-2
(``Link.layer`` 2, no subnet) and the leaf port is in the rack's virtual networks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from blueprint_engine.catalogue.entries import Catalogue, MappedPort
from blueprint_engine.catalogue.models import PortRole, RackType
from blueprint_engine.design.model import (
    BgpSession,
    Interface,
    Link,
    LinkRole,
    Overlay,
    Rack,
    Role,
    System,
    Transceiver,
)
from blueprint_engine.design.parts import DesignParts
from blueprint_engine.errors import FabricError, ValidationError
from blueprint_engine.resources.allocation import Allocator, PoolId

ValueT = TypeVar("ValueT")


class PortsExhaustedError(FabricError):
    """A switch or server has no free port for another link."""

    code = "ports_exhausted"
    http_status = 409


class PortCursor:
    """Hands out a device's free ports for a role, in logical port order."""

    def __init__(self, system: str, ports: Sequence[MappedPort], used: Iterable[str]) -> None:
        self.system = system
        self.ports = ports
        self.used = set(used)
        self._next: dict[str, int] = {}

    def take(self, role: PortRole) -> MappedPort:
        index = self._next.get(role, 0)
        while index < len(self.ports):
            port = self.ports[index]
            index += 1
            if role in port.roles and port.name not in self.used:
                self._next[role] = index
                self.used.add(port.name)
                return port
        self._next[role] = index
        raise PortsExhaustedError(
            f"{self.system} has no free {role}-facing port",
            allowed="a device profile with more ports, or fewer links to this device",
        )


def server_ports(catalogue: Catalogue, logical_device: str) -> tuple[MappedPort, ...]:
    """A generic server's ports: eth0, eth1... in logical port order."""
    ports = catalogue.logical_device(logical_device).ports
    return tuple(
        MappedPort(index + 1, f"eth{index}", group.speed_mbps, "", group.roles)
        for index, group in enumerate(ports)
    )


def profile_port_names(catalogue: Catalogue, device_profile: str) -> tuple[str, ...]:
    profile = catalogue.device_profile(device_profile)
    return tuple(port.name for port in profile.physical_ports)


def rack_demand(rack: RackType, spine_count: int) -> dict[str, int]:
    """Resources one rack of this type allocates, per pool id."""
    leafs, servers = rack.leaf_count, rack.servers.count
    homed = leafs if rack.servers.homing == "dual" else 1
    routed = rack.servers.attachment == "routed"
    return {
        PoolId.ASN_LEAF: leafs,
        PoolId.LOOPBACK: leafs,
        PoolId.SERVER_HOST: servers if routed else 0,
        PoolId.FABRIC: leafs * spine_count,
        PoolId.SERVER_LINK: servers * homed * rack.servers.links_per_leaf if routed else 0,
    }


def _address(value: str) -> tuple[str, str]:
    """The two addresses of a /31 allocation value, with their prefix length."""
    network = ipaddress.IPv4Network(value)
    return f"{network[0]}/31", f"{network[1]}/31"


def bare(address: str) -> str:
    return address.partition("/")[0]


def _required(value: ValueT | None, system: str, what: str) -> ValueT:
    if value is None:
        raise ValidationError(
            f"{system} has no {what}", allowed=f"switches with an allocated {what}"
        )
    return value


@dataclass(frozen=True)
class _End:
    system: System
    port: MappedPort

    @property
    def interface(self) -> str:
        return f"{self.system.id}:{self.port.name}"


class FabricBuilder:
    """Builds racks onto a fixed spine layer, sharing one allocator."""

    def __init__(
        self,
        catalogue: Catalogue,
        overlay: Overlay,
        allocator: Allocator,
        spines: Sequence[System],
        used_ports: Mapping[str, Iterable[str]],
    ) -> None:
        self.catalogue = catalogue
        self.overlay = overlay
        self.allocator = allocator
        self.spines = list(spines)
        self._ports: dict[tuple[str, str], tuple[MappedPort, ...]] = {}
        self._port_names: dict[str, tuple[str, ...]] = {}
        self.cursors = {
            spine.id: self._cursor(spine, used_ports.get(spine.id, ())) for spine in spines
        }

    def _switch_ports(self, logical_device: str, device_profile: str) -> tuple[MappedPort, ...]:
        key = (logical_device, device_profile)
        if key not in self._ports:
            self._ports[key] = self.catalogue.switch_ports(logical_device, device_profile)
        return self._ports[key]

    def _cursor(self, system: System, used: Iterable[str]) -> PortCursor:
        if system.device_profile is None:
            return PortCursor(system.id, server_ports(self.catalogue, system.logical_device), used)
        return PortCursor(
            system.id, self._switch_ports(system.logical_device, system.device_profile), used
        )

    def _link(self, a: _End, b: _End, role: LinkRole, pool: str | None, parts: DesignParts) -> Link:
        """A link between ``a`` and ``b``: routed (a /31 of ``pool``) or, without a pool,
        layer-2 (no addresses)."""
        link_id = f"{a.interface}--{b.interface}"
        subnet = self.allocator.allocate(pool, link_id).value if pool else None
        a_ip, b_ip = _address(subnet) if subnet else (None, None)
        speed = min(a.port.speed_mbps, b.port.speed_mbps)
        for end, ip in ((a, a_ip), (b, b_ip)):
            parts.interfaces.append(
                Interface(end.interface, end.system.id, end.port.name, end.port.speed_mbps, ip)
            )
            if end.system.role != Role.SERVER:
                interface = end.interface
                parts.transceivers.append(
                    Transceiver(f"{interface}:xcvr", interface, end.port.media)
                )
        link = Link(link_id, a.interface, b.interface, role, speed, subnet, 3 if pool else 2)
        parts.links.append(link)
        return link

    def cable(
        self,
        a: System,
        a_port: MappedPort,
        b: System,
        b_port: MappedPort,
        role: LinkRole,
        pool: str,
        parts: DesignParts,
    ) -> Link:
        """A routed link ``a``-``b`` (a /31 of ``pool``, ``a`` even) with its eBGP session."""
        link = self._link(_End(a, a_port), _End(b, b_port), role, pool, parts)
        a_ip, b_ip = _address(link.subnet or "")
        parts.sessions.append(
            BgpSession(
                id=f"{a.id}--{b.id}",
                a=a.id,
                b=b.id,
                a_ip=bare(a_ip),
                b_ip=bare(b_ip),
                a_asn=_required(a.asn, a.id, "asn"),
                b_asn=_required(b.asn, b.id, "asn"),
                afi="ipv4",
                link=link.id,
            )
        )
        return link

    def _fabric_link(
        self, spine: System, leaf: System, leaf_cursor: PortCursor, parts: DesignParts
    ) -> None:
        spine_port = self.cursors[spine.id].take("leaf")
        leaf_port = leaf_cursor.take("spine")
        self.cable(spine, spine_port, leaf, leaf_port, LinkRole.SPINE_LEAF, PoolId.FABRIC, parts)

    def cursor(self, system: System, used: Iterable[str] = ()) -> PortCursor:
        """A port cursor of ``system`` (kept: later calls return the same one)."""
        if system.id not in self.cursors:
            self.cursors[system.id] = self._cursor(system, used)
        return self.cursors[system.id]

    def evpn_session(self, spine: System, leaf: System) -> BgpSession:
        return self._evpn_session(spine, leaf)

    def _evpn_session(self, spine: System, leaf: System) -> BgpSession:
        return BgpSession(
            id=f"{spine.id}--{leaf.id}:evpn",
            a=spine.id,
            b=leaf.id,
            a_ip=bare(_required(spine.loopback, spine.id, "loopback")),
            b_ip=bare(_required(leaf.loopback, leaf.id, "loopback")),
            a_asn=_required(spine.asn, spine.id, "asn"),
            b_asn=_required(leaf.asn, leaf.id, "asn"),
            afi="evpn",
            link=None,
        )

    def _leaf(self, rack_id: str, index: int, rack: RackType) -> System:
        leaf_id = f"{rack_id}-leaf{index}"
        asn = int(self.allocator.allocate(PoolId.ASN_LEAF, leaf_id).value)
        loopback = self.allocator.allocate(PoolId.LOOPBACK, leaf_id).value
        spec = rack.leaf
        if spec.device_profile not in self._port_names:
            names = profile_port_names(self.catalogue, spec.device_profile)
            self._port_names[spec.device_profile] = names
        return System(
            id=leaf_id,
            hostname=leaf_id,
            role=Role.LEAF,
            rack=rack_id,
            logical_device=spec.logical_device,
            device_profile=spec.device_profile,
            asn=asn,
            loopback=loopback,
            ports=self._port_names[spec.device_profile],
        )

    def _server(self, rack_id: str, index: int, rack: RackType) -> System:
        server_id = f"{rack_id}-server{index}"
        host = None
        if rack.servers.attachment == "routed":
            host = self.allocator.allocate(PoolId.SERVER_HOST, server_id).value
        logical = rack.servers.logical_device
        return System(server_id, server_id, Role.SERVER, rack_id, logical, None, None, host)

    def rack(self, number: int, rack: RackType, pod: str | None = None) -> DesignParts:
        """Leafs, servers, their links, addresses and sessions for rack ``number``
        (of ``pod`` in a 5-stage fabric, cabled to ``spines``: that pod's)."""
        rack_id = f"rack{number}"
        parts = DesignParts()
        leafs = [self._leaf(rack_id, index, rack) for index in range(1, rack.leaf_count + 1)]
        servers = [self._server(rack_id, i, rack) for i in range(1, rack.servers.count + 1)]
        if pod is not None:
            leafs = [replace(leaf, pod=pod) for leaf in leafs]
            servers = [replace(server, pod=pod) for server in servers]
        parts.systems += leafs + servers
        leaf_cursors = {leaf.id: self.cursor(leaf) for leaf in leafs}
        for leaf in leafs:
            for spine in self.spines:
                self._fabric_link(spine, leaf, leaf_cursors[leaf.id], parts)
        if self.overlay == Overlay.EVPN:
            parts.sessions += [
                self._evpn_session(spine, leaf) for leaf in leafs for spine in self.spines
            ]
        pool = PoolId.SERVER_LINK if rack.servers.attachment == "routed" else None
        for position, server in enumerate(servers):
            server_cursor = self._cursor(server, ())
            homed = leafs if rack.servers.homing == "dual" else [leafs[position % len(leafs)]]
            for leaf in homed:
                for _ in range(rack.servers.links_per_leaf):
                    a = _End(leaf, leaf_cursors[leaf.id].take("server"))
                    b = _End(server, server_cursor.take("leaf"))
                    self._link(a, b, LinkRole.LEAF_SERVER, pool, parts)
        leaf_ids = tuple(leaf.id for leaf in leafs)
        server_ids = tuple(server.id for server in servers)
        attachment = rack.servers.attachment
        parts.racks.append(
            Rack(rack_id, rack.name, leaf_ids, server_ids, rack.leafs, pod, attachment)
        )
        return parts
