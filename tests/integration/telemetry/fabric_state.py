"""What the collectors of a deployed fabric would report, derived from the blueprint's
intent (the pure design), and how each lab fault changes it. Independent of the
engine under test: the tests compare the engine's anomalies and root causes with
what these functions imply.

A healthy fabric, per switch: reachable with its hostname, config in sync; every
linked port oper up, LLDP showing the link's other end (when it is a switch),
optics present in range; every BGP session established at both ends with the
peer's loopback route present.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.build import build_design
from blueprint_engine.design.model import BlueprintDesign, Link, Role
from blueprint_engine.devices.lifecycle import Event
from blueprint_engine.devices.registry import Devices
from blueprint_engine.graph.db import Graph, Query
from telemetry.model import Observation
from telemetry.model import ObservationKind as K

DROP_DEVICES = Query(
    "test.telemetry.drop_devices",
    "MATCH (d:Device) WHERE d.serial STARTS WITH $prefix "
    "OPTIONAL MATCH (d)-[:HAS_CONFIG|HAS_DEPLOYMENT]->(x) DETACH DELETE x, d",
)


@dataclass
class Fabric:
    bp: str
    design: BlueprintDesign
    serials: dict[str, str]  # switch system id -> device serial
    devices: Devices

    @property
    def switches(self) -> list[str]:
        return sorted(s.id for s in self.design.systems if s.role != Role.SERVER)

    def system(self, ident: str) -> Any:
        return next(s for s in self.design.systems if s.id == ident)

    def iface(self, ident: str) -> Any:
        return next(i for i in self.design.interfaces if i.id == ident)

    def role(self, system: str) -> Role:
        return Role(self.system(system).role)

    def link(self, ident: str) -> Link:
        return next(lk for lk in self.design.links if lk.id == ident)

    def links_of(self, system: str) -> list[Link]:
        return [
            lk
            for lk in self.design.links
            if system in (self.iface(lk.a).system, self.iface(lk.b).system)
        ]

    def sessions_over(self, link: str) -> list[Any]:
        return [s for s in self.design.sessions if s.link == link]

    def sessions_of(self, system: str) -> list[Any]:
        return [s for s in self.design.sessions if system in (s.a, s.b)]

    def transceiver_of(self, iface: str) -> str | None:
        return next((x.id for x in self.design.transceivers if x.interface == iface), None)


@contextmanager
def deployed_fabric(graph: Graph, template: str = "lab", mode: str = "deploy") -> Iterator[Fabric]:
    """A fresh blueprint whose switches have devices registered, assigned and deployed
    (lifecycle only: nothing is pushed, no lab is needed)."""
    blueprints = Blueprints(graph)
    bp = f"tl-{template}-{uuid.uuid4().hex[:6]}"
    prefix = f"T6{uuid.uuid4().hex[:6]}-"
    blueprints.create(bp, template)
    design = build_design(blueprints.catalogue, template, bp)
    devices = Devices(graph)
    serials: dict[str, str] = {}
    try:
        for s in design.systems:
            if s.role == Role.SERVER:
                continue
            serial = prefix + s.id
            serials[s.id] = serial
            devices.register(
                serial,
                hostname=s.hostname,
                profile=str(s.device_profile),
                nos="linuxfrr",
                driver="linuxfrr",
                driver_args={},
                pristine="",
                # served by no worker queue: no periodic collector reports on these devices
                worker_queue=f"no-collector-{prefix}",
            )
            devices.event(serial, Event.ACKNOWLEDGE)
            devices.event(serial, Event.ASSIGN, blueprint=bp, system=s.id)
            if mode == "deploy":
                devices.event(serial, Event.DEPLOY)
        yield Fabric(bp, design, serials, devices)
    finally:
        graph.write(DROP_DEVICES, prefix=prefix)
        blueprints.delete(bp)


Facts = dict[tuple[str, str, str], dict[str, Any]]  # (kind, observer, subject) -> value


def healthy(f: Fabric) -> Facts:
    """Every fact the collectors of a healthy, deployed fabric report."""
    facts: Facts = {}
    switches = set(f.switches)
    for sw in f.switches:
        facts[("device", sw, sw)] = {"reachable": True, "hostname": f.system(sw).hostname}
        facts[("config", sw, sw)] = {"deviated": False, "last_deploy": "succeeded"}
    for lk in f.design.links:
        for here, there in ((lk.a, lk.b), (lk.b, lk.a)):
            me, peer = f.iface(here), f.iface(there)
            if me.system not in switches:
                continue
            facts[("interface", me.system, here)] = {"oper_up": True, "admin_up": True}
            if peer.system in switches:
                facts[("lldp", me.system, here)] = {
                    "neighbor": f.system(peer.system).hostname,
                    "port": peer.name,
                }
            else:  # servers run no LLDP
                facts[("lldp", me.system, here)] = {"neighbor": None, "port": None}
            xcvr = f.transceiver_of(here)
            if xcvr:
                facts[("optics", me.system, xcvr)] = {"present": True, "rx_power_dbm": -2.1}
    for s in f.design.sessions:
        for me, peer in ((s.a, s.b), (s.b, s.a)):
            facts[("bgp", me, s.id)] = {"established": True, "state": "Established"}
            facts[("route", me, peer)] = {"present": True, "prefix": f.system(peer).loopback}
    return facts


def observations(f: Fabric, facts: Facts, at: float) -> list[Observation]:
    return [
        Observation(f.bp, K(kind), observer, subject, value, at)
        for (kind, observer, subject), value in sorted(facts.items())
    ]


# -- what each lab fault does to the facts (lab/faults.py semantics) -------------------------


def _link_down(f: Fabric, facts: Facts, link: str) -> None:
    lk = f.link(link)
    for end in (lk.a, lk.b):
        sw = f.iface(end).system
        if ("interface", sw, end) in facts:
            facts[("interface", sw, end)] = {"oper_up": False, "admin_up": True}
            facts[("lldp", sw, end)] = {"neighbor": None, "port": None}
    for s in f.sessions_over(link):
        _session_down(f, facts, s)


def _session_down(f: Fabric, facts: Facts, s: Any, ends: tuple[str, ...] | None = None) -> None:
    for me, peer in ((s.a, s.b), (s.b, s.a)):
        if ends is None or me in ends:
            facts[("bgp", me, s.id)] = {"established": False, "state": "Active"}
            facts[("route", me, peer)] = {"present": False, "prefix": f.system(peer).loopback}


def cable_cut(f: Fabric, facts: Facts, link: str) -> Facts:
    out = dict(facts)
    _link_down(f, out, link)
    return out


def transceiver_fail(f: Fabric, facts: Facts, port: str) -> Facts:
    """The lab cuts the cable and drives the port's optics to -40 dBm."""
    lk = next(lk for lk in f.design.links if port in (lk.a, lk.b))
    out = cable_cut(f, facts, lk.id)
    xcvr = f.transceiver_of(port)
    assert xcvr is not None
    out[("optics", f.iface(port).system, xcvr)] = {"present": True, "rx_power_dbm": -40.0}
    return out


def swap_cables(f: Fabric, facts: Facts, link1: str, link2: str) -> Facts:
    """(a1, b1), (a2, b2) become (a1, b2), (a2, b1): LLDP shows the swapped ends and the
    sessions over both links fail (their subnets no longer face each other)."""
    out = dict(facts)
    l1, l2 = f.link(link1), f.link(link2)
    for here, there in ((l1.a, l2.b), (l2.b, l1.a), (l2.a, l1.b), (l1.b, l2.a)):
        me, peer = f.iface(here), f.iface(there)
        out[("lldp", me.system, here)] = {
            "neighbor": f.system(peer.system).hostname,
            "port": peer.name,
        }
    for s in f.sessions_over(link1) + f.sessions_over(link2):
        _session_down(f, out, s)
    return out


def device_offline(f: Fabric, facts: Facts, system: str) -> Facts:
    """FRR and lldpd stop: the device does not answer; its peers lose LLDP and BGP to it
    (its ports stay up: the veths are untouched). Its own last facts stay as they were."""
    out = dict(facts)
    out[("device", system, system)] = {"reachable": False, "hostname": None}
    for lk in f.links_of(system):
        for end in (lk.a, lk.b):
            sw = f.iface(end).system
            if sw != system and ("lldp", sw, end) in out:
                out[("lldp", sw, end)] = {"neighbor": None, "port": None}
    for s in f.sessions_of(system):
        peer = s.b if s.a == system else s.a
        _session_down(f, out, s, ends=(peer,))
    return out


def server_down(f: Fabric, facts: Facts, server: str) -> Facts:
    out = dict(facts)
    for lk in f.links_of(server):
        for end in (lk.a, lk.b):
            sw = f.iface(end).system
            if sw != server:
                out[("interface", sw, end)] = {"oper_up": False, "admin_up": True}
    return out


def oob_change(f: Fabric, facts: Facts, system: str) -> Facts:
    out = dict(facts)
    out[("config", system, system)] = {"deviated": True, "last_deploy": "succeeded"}
    return out


def changed(before: Facts, after: Facts) -> Facts:
    return {k: v for k, v in after.items() if before.get(k) != v}


__all__ = ["Fabric", "Facts", "deployed_fabric", "healthy", "observations", "replace"]
