"""Every physical port of a switch as an interface of the design (pure).

A switch's ports are those of its device profile, in profile order (the ports its
interface map serves are among them). A port with a link keeps the interface the
cabling made; every other port becomes an *unused* interface: its profile speed and
breakout capability, no address, no link. Admin intent is not stored: it follows
from the cabling (a cabled port is intended up, an unused port down), so it can
never disagree with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from enum import StrEnum

from blueprint_engine.catalogue.entries import Catalogue
from blueprint_engine.catalogue.models import Breakout, PhysicalPort
from blueprint_engine.design.model import Interface, System


def breakout_names(breakouts: Iterable[Breakout]) -> tuple[str, ...]:
    """Breakout modes as ``<lanes>x<speed_mbps>``, e.g. ``4x25000``."""
    return tuple(f"{b.lanes}x{b.speed_mbps}" for b in breakouts)


def _profile_ports(catalogue: Catalogue, profile: str) -> tuple[PhysicalPort, ...]:
    return catalogue.device_profile(profile).physical_ports


def complete_ports(
    catalogue: Catalogue, systems: Sequence[System], cabled: Sequence[Interface]
) -> list[Interface]:
    """``cabled`` with the breakouts of their ports, then every unused port of every
    switch in ``systems`` (switch by switch, in profile port order)."""
    profiles = {s.id: s.device_profile for s in systems if s.device_profile is not None}
    ports: dict[str, dict[str, PhysicalPort]] = {}
    for profile in set(profiles.values()):
        ports[profile] = {p.name: p for p in _profile_ports(catalogue, profile)}
    result: list[Interface] = []
    taken: set[str] = set()
    for interface in cabled:
        taken.add(interface.id)
        owner = profiles.get(interface.system)
        port = ports[owner].get(interface.name) if owner is not None else None
        if port is not None and port.breakouts:
            interface = replace(interface, breakouts=breakout_names(port.breakouts))
        result.append(interface)
    # each profile's ports as (name, speed, breakout modes), computed once per profile
    unused: dict[str, list[tuple[str, int, tuple[str, ...]]]] = {
        profile: [
            (p.name, p.speed_mbps, breakout_names(p.breakouts))
            for p in _profile_ports(catalogue, profile)
        ]
        for profile in ports
    }
    for system in systems:
        if system.device_profile is None:
            continue
        for name, speed, breakouts in unused[system.device_profile]:
            ident = f"{system.id}:{name}"
            if ident not in taken:
                result.append(Interface(ident, system.id, name, speed, None, breakouts))
    return result


class PortIntent(StrEnum):
    """A port's admin intent, from its cabling: a cabled port is in service (intended
    up), every other port unused (intended down)."""

    IN_SERVICE = "in_service"
    UNUSED = "unused"


def port_intent(cabled: bool) -> PortIntent:
    return PortIntent.IN_SERVICE if cabled else PortIntent.UNUSED
