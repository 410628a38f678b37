"""The lab topology document (JSON-able), validated into plain dataclasses. Pure."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lab.errors import TopologyError

NETNS_PREFIX = "fg-"
VETH_PREFIX = "fgv"
NODE_KINDS = ("switch", "server")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$")
_PORT = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,14}$")


@dataclass(frozen=True)
class ServerInterface:
    name: str
    address: str
    gateway: str


@dataclass(frozen=True)
class Node:
    name: str
    kind: str
    ports: tuple[str, ...] = ()
    host_address: str | None = None
    interfaces: tuple[ServerInterface, ...] = ()

    @property
    def netns(self) -> str:
        return netns_name(self.name)

    @property
    def port_names(self) -> tuple[str, ...]:
        return self.ports if self.kind == "switch" else tuple(i.name for i in self.interfaces)


@dataclass(frozen=True)
class Endpoint:
    node: str
    port: str

    def __str__(self) -> str:
        return f"{self.node}:{self.port}"


@dataclass(frozen=True)
class Link:
    a: Endpoint
    b: Endpoint

    def __str__(self) -> str:
        return f"{self.a}--{self.b}"


@dataclass(frozen=True)
class Topology:
    name: str
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise TopologyError(
            f"unknown node {name!r}", allowed=[n.name for n in self.nodes] or "a node of the lab"
        )

    def switches(self) -> list[Node]:
        return [n for n in self.nodes if n.kind == "switch"]

    def servers(self) -> list[Node]:
        return [n for n in self.nodes if n.kind == "server"]

    def link_at(self, node: str, port: str) -> Link:
        for link in self.links:
            if Endpoint(node, port) in (link.a, link.b):
                return link
        raise TopologyError(f"no link at {node}:{port}", allowed=[str(x) for x in self.links])


def netns_name(node: str) -> str:
    return f"{NETNS_PREFIX}{node}"


def parse_endpoint(text: str) -> Endpoint:
    node, sep, port = str(text).partition(":")
    if not sep or not node or not port:
        raise TopologyError(f"link end {text!r} is not 'node:port'", allowed="e.g. 'spine1:swp1'")
    return Endpoint(node, port)


def parse_topology(data: Mapping[str, Any]) -> Topology:
    """Validate the topology document; every error names the offending item."""
    if not isinstance(data, Mapping):
        raise TopologyError("the topology must be a JSON object", allowed="{name, nodes, links}")
    nodes = tuple(_parse_node(n) for n in _list(data, "nodes"))
    names = [n.name for n in nodes]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise TopologyError(f"duplicate node name(s): {', '.join(duplicates)}", allowed="unique")
    links = tuple(
        Link(parse_endpoint(_field(raw, "a")), parse_endpoint(_field(raw, "b")))
        for raw in _list(data, "links")
    )
    topo = Topology(name=str(data.get("name", "lab")), nodes=nodes, links=links)
    _check_links(topo)
    return topo


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise TopologyError(f"'{key}' must be a list", allowed="a JSON array")
    return value


def _field(raw: Any, key: str) -> Any:
    if not isinstance(raw, Mapping) or key not in raw:
        raise TopologyError(f"{raw!r} has no '{key}'", allowed=f"an object with '{key}'")
    return raw[key]


def _parse_node(raw: Any) -> Node:
    name = str(_field(raw, "name"))
    kind = str(_field(raw, "kind"))
    if not _NAME.match(name):
        raise TopologyError(f"node name {name!r} is invalid", allowed="letters, digits, '.-_'")
    if kind not in NODE_KINDS:
        raise TopologyError(f"node {name!r} has kind {kind!r}", allowed=NODE_KINDS)
    if kind == "switch":
        ports = tuple(str(p) for p in _field(raw, "ports"))
        _check_port_names(name, ports)
        return Node(name=name, kind=kind, ports=ports)
    host = _address(name, str(_field(raw, "host_address")))
    ifaces = tuple(_parse_server_iface(name, i) for i in _field(raw, "interfaces"))
    _check_port_names(name, tuple(i.name for i in ifaces))
    return Node(name=name, kind=kind, host_address=host, interfaces=ifaces)


def _parse_server_iface(node: str, raw: Any) -> ServerInterface:
    name = str(_field(raw, "name"))
    address = _address(node, str(_field(raw, "address")))
    gateway = str(_field(raw, "gateway"))
    try:
        gw = ipaddress.IPv4Address(gateway)
    except ValueError as exc:
        raise TopologyError(
            f"{node}:{name} gateway {gateway!r} is invalid", allowed="IPv4"
        ) from exc
    if gw not in ipaddress.IPv4Interface(address).network:
        raise TopologyError(
            f"{node}:{name} gateway {gateway} is outside {address}",
            allowed="a gateway inside the interface's subnet",
        )
    return ServerInterface(name=name, address=address, gateway=gateway)


def _address(node: str, text: str) -> str:
    try:
        ipaddress.IPv4Interface(text)
    except ValueError as exc:
        raise TopologyError(
            f"{node}: address {text!r} is invalid", allowed="IPv4 a.b.c.d/len"
        ) from exc
    if "/" not in text:
        raise TopologyError(f"{node}: address {text!r} has no prefix length", allowed="a.b.c.d/len")
    return text


def _check_port_names(node: str, ports: tuple[str, ...]) -> None:
    for port in ports:
        if not _PORT.match(port) or port == "lo":
            raise TopologyError(
                f"{node}: port name {port!r} is invalid",
                allowed="a Linux interface name of at most 15 characters, not 'lo'",
            )
    if len(set(ports)) != len(ports):
        raise TopologyError(f"{node}: duplicate port names", allowed="unique port names")


def _check_links(topo: Topology) -> None:
    by_name = {n.name: n for n in topo.nodes}
    used: set[Endpoint] = set()
    for link in topo.links:
        for end in (link.a, link.b):
            node = by_name.get(end.node)
            if node is None:
                raise TopologyError(
                    f"link {link} names unknown node {end.node!r}", allowed=list(by_name)
                )
            if end.port not in node.port_names:
                raise TopologyError(
                    f"link {link} names unknown port {end}", allowed=list(node.port_names)
                )
            if end in used:
                raise TopologyError(f"port {end} is cabled twice", allowed="one link per port")
            used.add(end)
        if link.a.node == link.b.node:
            raise TopologyError(f"link {link} loops back to one node", allowed="two nodes")


def veth_names(index: int) -> tuple[str, str]:
    """Short unique temporary names (root namespace) for link ``index``'s two ends."""
    return f"{VETH_PREFIX}{index}a", f"{VETH_PREFIX}{index}b"
