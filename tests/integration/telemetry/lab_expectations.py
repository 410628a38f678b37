"""The anomalies each lab fault implies, derived from the blueprint's cabling alone.

``read_cabling`` gives the systems, interfaces and links; in the ``ip_fabric``
overlay every spine-leaf link (5-stage: also superspine-spine; collapsed: leaf-leaf)
carries one eBGP session between its two systems (id ``<a>--<b>``, the link's ``a``
side being the upper tier), and each end of
a session should hold the other end's loopback route. Servers run no agent and
no LLDP. Anomalies are ``(type, subject, device)``: the intent node's id and the
switch the anomaly belongs to.

What the lab's injector does (``lab/faults.py``), and so what must be raised:

* ``cable_cut``: both ends down; the session over the link down at both ends,
  each end missing the other's loopback route.
* ``transceiver_fail``: the same, plus the failed module's transceiver fault.
* ``device_offline``: FRR and lldpd stop. The device is unavailable; its peers'
  ports stay up (the cable is intact) but hear no LLDP neighbour (cabling), lose
  the session to it and its loopback route.
* ``swap_cables``: every port stays up; the four ends hear the wrong neighbour
  (cabling) and the sessions over both intended links fail at both ends.
* ``server_down``: the leaf ports towards the server go down.
* ``oob_change`` (a BGP neighbour shut down by hand): the config deviates, and the
  session to that neighbour fails at both ends with its routes.
* ``plug_unused`` (a cable between two unused switch ports, both enabled: shut, they
  would show nothing): each port has carrier and hears the other (cabling), and both
  switches' configs deviate (their unused ports are intended shut).
"""

from __future__ import annotations

from dataclasses import dataclass

from blueprint_engine.design.model import BlueprintDesign, Link, LinkRole, Role

Anomaly = tuple[str, str, str]  # (type, subject, device)
FABRIC_ROLES = (LinkRole.SUPERSPINE_SPINE, LinkRole.SPINE_LEAF, LinkRole.LEAF_LEAF)


@dataclass(frozen=True)
class Cabling:
    design: BlueprintDesign

    def system_of(self, interface: str) -> str:
        return next(i.system for i in self.design.interfaces if i.id == interface)

    def role(self, system: str) -> Role:
        return next(s.role for s in self.design.systems if s.id == system)

    def link_at(self, interface: str) -> Link:
        return next(lk for lk in self.design.links if interface in (lk.a, lk.b))

    def links_of(self, system: str) -> list[Link]:
        return [
            lk for lk in self.design.links if system in (self.system_of(lk.a), self.system_of(lk.b))
        ]

    def fabric_links(self) -> list[Link]:
        """Switch-to-switch links: spine-leaf (5-stage: and superspine-spine; collapsed:
        leaf-leaf), in the design's order."""
        return [lk for lk in self.design.links if lk.role in FABRIC_ROLES]

    def session_of(self, link: Link) -> tuple[str, str, str] | None:
        """(session id, a side, b side) of the eBGP session a fabric link carries: the
        upper tier (superspine, spine; collapsed: the lower leaf) is side a."""
        if link.role not in FABRIC_ROLES:
            return None
        spine, leaf = self.system_of(link.a), self.system_of(link.b)
        return f"{spine}--{leaf}", spine, leaf

    def switches(self) -> list[str]:
        return sorted(s.id for s in self.design.systems if s.role != Role.SERVER)

    def address(self, interface: str) -> str:
        ipv4 = next(i.ipv4 for i in self.design.interfaces if i.id == interface)
        assert ipv4 is not None
        return ipv4.split("/")[0]

    def hostname(self, system: str) -> str:
        return next(s.hostname for s in self.design.systems if s.id == system)

    def name_of(self, interface: str) -> str:
        return next(i.name for i in self.design.interfaces if i.id == interface)

    def unused_ports(self) -> list[str]:
        """Switch ports no link uses (intent: unused), in the design's order."""
        cabled = {e for lk in self.design.links for e in (lk.a, lk.b)}
        switches = set(self.switches())
        return [i.id for i in self.design.interfaces if i.system in switches and i.id not in cabled]

    def asn(self, system: str) -> int:
        asn = next(s.asn for s in self.design.systems if s.id == system)
        assert asn is not None
        return asn


def _session_down(c: Cabling, link: Link) -> set[Anomaly]:
    session = c.session_of(link)
    if session is None:
        return set()
    sid, spine, leaf = session
    return {
        ("bgp_session_down", sid, spine),
        ("bgp_session_down", sid, leaf),
        ("route_missing", leaf, spine),
        ("route_missing", spine, leaf),
    }


def switch_end(c: Cabling, interface: str) -> bool:
    return c.role(c.system_of(interface)) != Role.SERVER


def cable_cut(c: Cabling, link: Link) -> set[Anomaly]:
    ends = {("interface_down", e, c.system_of(e)) for e in (link.a, link.b) if switch_end(c, e)}
    return ends | _session_down(c, link)


def transceiver_fail(c: Cabling, port: str) -> set[Anomaly]:
    return cable_cut(c, c.link_at(port)) | {
        ("transceiver_fault", f"{port}:xcvr", c.system_of(port))
    }


def device_offline(c: Cabling, system: str) -> set[Anomaly]:
    found: set[Anomaly] = {("device_unavailable", system, system)}
    for link in c.links_of(system):
        for end in (link.a, link.b):
            peer = c.system_of(end)
            if peer != system and c.role(peer) != Role.SERVER:
                found.add(("cabling", end, peer))
        session = c.session_of(link)
        if session is not None:
            sid, spine, leaf = session
            peer = leaf if spine == system else spine
            found |= {("bgp_session_down", sid, peer), ("route_missing", system, peer)}
    return found


def swap_cables(c: Cabling, one: Link, two: Link) -> set[Anomaly]:
    ends = (one.a, one.b, two.a, two.b)
    found = {("cabling", e, c.system_of(e)) for e in ends if switch_end(c, e)}
    return found | _session_down(c, one) | _session_down(c, two)


def server_down(c: Cabling, server: str) -> set[Anomaly]:
    found: set[Anomaly] = set()
    for link in c.links_of(server):
        for end in (link.a, link.b):
            if c.system_of(end) != server:
                found.add(("interface_down", end, c.system_of(end)))
    return found


def oob_neighbor_shutdown(c: Cabling, link: Link, system: str) -> set[Anomaly]:
    return {("config_deviation", system, system)} | _session_down(c, link)


def routing_daemon_down(c: Cabling, system: str) -> set[Anomaly]:
    """bgpd of ``system`` not running: every session of it down at both ends, the routes
    they carried missing, and its running config without the BGP section."""
    found: set[Anomaly] = {
        ("routing_daemon_down", system, system),
        ("config_deviation", system, system),
    }
    for link in c.links_of(system):
        found |= _session_down(c, link)
    return found


def plug_unused(c: Cabling, one: str, two: str) -> set[Anomaly]:
    """A cable between unused ports ``one`` and ``two``, both enabled."""
    found: set[Anomaly] = set()
    for port in (one, two):
        system = c.system_of(port)
        found |= {("cabling", port, system), ("config_deviation", system, system)}
    return found
