"""A blueprint's cabling and server addressing, as the virtual lab builder reads it.

Shape (plain JSON-able data)::

    {"name": "lab",
     "nodes": [
       {"name": "spine1", "kind": "switch", "ports": ["swp1", "swp2", ...]},
       {"name": "rack1-server1", "kind": "server", "host_address": "10.3.0.1/32",
        "interfaces": [{"name": "eth0", "address": "10.2.0.1/31", "gateway": "10.2.0.0"}]}],
     "links": [{"a": "spine1:swp1", "b": "rack1-leaf1:swp1"}]}

Switch ports are every port of the device profile in port order (``System.ports``;
a system without them lists its cabled ports). Server interfaces carry their /31
and the leaf's address on the same link as gateway.
"""

from __future__ import annotations

import re
from typing import Any

from blueprint_engine.design.model import BlueprintDesign, Interface, Link, Role, System


def _natural(name: str) -> tuple[object, ...]:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def _switch(system: System, cabled: list[Interface]) -> dict[str, Any]:
    ports = list(system.ports) or sorted((i.name for i in cabled), key=_natural)
    return {"name": system.id, "kind": "switch", "ports": ports}


def _server(system: System, cabled: list[Interface], peers: dict[str, Interface]) -> dict[str, Any]:
    interfaces = []
    for interface in sorted(cabled, key=lambda item: _natural(item.name)):
        peer = peers.get(interface.id)
        gateway = peer.ipv4.partition("/")[0] if peer is not None and peer.ipv4 else None
        interfaces.append({"name": interface.name, "address": interface.ipv4, "gateway": gateway})
    return {
        "name": system.id,
        "kind": "server",
        "host_address": system.loopback,
        "interfaces": interfaces,
    }


def _peers(links: list[Link], interfaces: dict[str, Interface]) -> dict[str, Interface]:
    peers: dict[str, Interface] = {}
    for link in links:
        if link.a in interfaces and link.b in interfaces:
            peers[link.a] = interfaces[link.b]
            peers[link.b] = interfaces[link.a]
    return peers


def lab_topology(design: BlueprintDesign) -> dict[str, Any]:
    """The lab builder's view of ``design`` (nodes in design order, links as cabled)."""
    by_id = {interface.id: interface for interface in design.interfaces}
    cabled: dict[str, list[Interface]] = {system.id: [] for system in design.systems}
    for interface in design.interfaces:
        cabled.setdefault(interface.system, []).append(interface)
    peers = _peers(design.links, by_id)
    nodes = [
        _server(system, cabled[system.id], peers)
        if system.role == Role.SERVER
        else _switch(system, cabled[system.id])
        for system in design.systems
    ]
    links = [{"a": link.a, "b": link.b} for link in design.links]
    return {"name": design.name, "nodes": nodes, "links": links}
