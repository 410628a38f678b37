"""Veth cables: create, cut, re-pair; a port keeps its kernel settings across re-cabling.

A "cable" is a veth pair whose two ends are renamed to the port names inside their
nodes' namespaces. A cut cable is two veth pairs, each port paired with a dangling
end parked (down) in the ``fg-limbo`` namespace, so both ports stay admin up and
lose carrier, like a real fibre cut.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from lab import shell
from lab.topology import NETNS_PREFIX, Endpoint, netns_name

LIMBO_NETNS = f"{NETNS_PREFIX}limbo"


@dataclass(frozen=True)
class PortSettings:
    """What a port's kernel state carries: re-applied after it is re-created."""

    admin_up: bool
    mtu: int
    alias: str
    addresses: tuple[str, ...]


class Cabler:
    """Creates veth pairs with short unique temporary names, then renames them."""

    def __init__(self, start_index: int = 0) -> None:
        self.index = start_index
        self.created: list[str] = []

    def _temp_names(self) -> tuple[str, str]:
        self.index += 1
        return f"fgv{self.index}a", f"fgv{self.index}b"

    def connect(self, a: Endpoint, b: Endpoint) -> None:
        """A veth pair from ``a`` to ``b`` (both ends created down)."""
        tmp_a, tmp_b = self._temp_names()
        self.created.extend([tmp_a, tmp_b])
        shell.run(["ip", "link", "add", tmp_a, "type", "veth", "peer", "name", tmp_b])
        _place(tmp_a, netns_name(a.node), a.port)
        _place(tmp_b, netns_name(b.node), b.port)

    def dangle(self, end: Endpoint) -> None:
        """A veth from ``end`` to a parked, down, peer in the limbo namespace (the peer keeps
        its unique temporary name: names derived from the switch could collide)."""
        tmp_a, tmp_b = self._temp_names()
        self.created.extend([tmp_a, tmp_b])
        shell.run(["ip", "link", "add", tmp_a, "type", "veth", "peer", "name", tmp_b])
        _place(tmp_a, netns_name(end.node), end.port)
        shell.run(["ip", "link", "set", tmp_b, "netns", LIMBO_NETNS])


def _place(tmp: str, netns: str, port: str) -> None:
    shell.run(["ip", "link", "set", tmp, "netns", netns])
    shell.run(["ip", "-n", netns, "link", "set", tmp, "name", port])


def read_port(end: Endpoint) -> PortSettings:
    out = shell.run(["ip", "-j", "-d", "-n", netns_name(end.node), "addr", "show", "dev", end.port])
    item: dict[str, Any] = json.loads(out)[0]
    return PortSettings(
        admin_up="UP" in item.get("flags", []),
        mtu=int(item.get("mtu", 1500)),
        alias=str(item.get("ifalias", "")),
        addresses=tuple(
            f"{a['local']}/{a['prefixlen']}"
            for a in item.get("addr_info", [])
            if a.get("family") == "inet"
        ),
    )


def apply_port(end: Endpoint, settings: PortSettings) -> None:
    ns = ["ip", "-n", netns_name(end.node)]
    shell.run([*ns, "link", "set", "dev", end.port, "mtu", str(settings.mtu)])
    if settings.alias:
        shell.run([*ns, "link", "set", "dev", end.port, "alias", settings.alias])
    for address in settings.addresses:
        shell.run([*ns, "addr", "add", address, "dev", end.port], check=False)
    if settings.admin_up:
        shell.run([*ns, "link", "set", "dev", end.port, "up"])


def set_admin(end: Endpoint, up: bool) -> None:
    state = "up" if up else "down"
    shell.run(["ip", "-n", netns_name(end.node), "link", "set", "dev", end.port, state])


def remove_port(end: Endpoint) -> None:
    """Deleting one end of a veth deletes the pair, so the peer may already be gone."""
    shell.run(["ip", "-n", netns_name(end.node), "link", "del", "dev", end.port], check=False)


def recable(cabler: Cabler, pairs: list[tuple[Endpoint, Endpoint | None]]) -> float:
    """Re-create the cables so that each ``(a, b)`` is connected (``b=None``: dangling);
    when the first old cable went away (epoch seconds: the switches see it then)."""
    ends = [e for pair in pairs for e in pair if e is not None]
    saved = {end: read_port(end) for end in ends}
    unplugged = time.time()
    for end in ends:
        remove_port(end)
    for a, b in pairs:
        if b is None:
            cabler.dangle(a)
        else:
            cabler.connect(a, b)
    for end in ends:
        apply_port(end, saved[end])
    return unplugged
