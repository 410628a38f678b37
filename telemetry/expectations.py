"""Fetch the facts behind the expectations that depend on a set of changed subjects.

One query per family (systems, interfaces, sessions) reads the intent of the ids
to re-evaluate, then one query reads every observation they compare with, by uid
(``<bp>/<kind>/<observer>/<subject>``, an index seek each): work is proportional
to what changed, never to the blueprint. The statements are kept simple (pattern
comprehensions instead of chains of OPTIONAL MATCH) so that planning them is cheap.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from blueprint_engine.graph.db import Graph, Query
from telemetry.evaluate import (
    InterfaceFacts,
    Managed,
    PeerEnd,
    SessionEnd,
    SessionFacts,
    UnusedPortFacts,
)
from telemetry.model import observation_uid

DEVICE_OF = (
    "head([(SYS)<-[:ASSIGNED_TO]-(d:Device) | d {.deploy_mode, .deviation, .os_version, "
    ".nos_version_ok, .nos_version_allowed}])"
)


def _device(system: str) -> str:
    """The assigned device's mode and deviation (a pattern comprehension: cheap to plan)."""
    return DEVICE_OF.replace("SYS", system)


SYSTEM_INTENT = Query(
    "telemetry.facts.systems",
    f"""
    UNWIND $ids AS id
    MATCH (s:System {{uid: $bp + '/' + id}}) WHERE s.role <> 'server'
    RETURN s.id AS system, s.hostname AS hostname, {_device("s")} AS device
    """,
)
INTERFACE_INTENT = Query(
    "telemetry.facts.interfaces",
    f"""
    UNWIND $ids AS id
    MATCH (s:System)-[:HAS_INTERFACE]->(i:Interface {{uid: $bp + '/' + id}})
    WHERE s.role <> 'server'
    MATCH (i)<-[:ENDPOINT]-(l:Link)-[:ENDPOINT]->(pi:Interface)<-[:HAS_INTERFACE]-(ps:System)
    WHERE pi <> i
    RETURN i.id AS interface, i.name AS name, l.id AS link, s.id AS system,
           s.hostname AS hostname, {_device("s")} AS device,
           {{interface: pi.id, name: pi.name, system: ps.id, hostname: ps.hostname,
             role: ps.role, has_device: EXISTS {{ (ps)<-[:ASSIGNED_TO]-(:Device) }}}} AS peer,
           head([(i)-[:HAS_TRANSCEIVER]->(x:Transceiver) | x {{.id, .media}}]) AS transceiver
    """,
)
# switch ports with no link among the ids (intent: unused, hearing nobody)
UNUSED_INTENT = Query(
    "telemetry.facts.unused_ports",
    f"""
    UNWIND $ids AS id
    MATCH (s:System)-[:HAS_INTERFACE]->(i:Interface {{uid: $bp + '/' + id}})
    WHERE s.role <> 'server' AND NOT EXISTS {{ (i)<-[:ENDPOINT]-(:Link) }}
    RETURN i.id AS interface, i.name AS name, s.id AS system, s.hostname AS hostname,
           {_device("s")} AS device
    """,
)
SESSION_INTENT = Query(
    "telemetry.facts.sessions",
    f"""
    UNWIND $ids AS id
    MATCH (b:BgpSession {{uid: $bp + '/' + id}})
    MATCH (b)-[:PEER {{side: 'a'}}]->(a:System), (b)-[:PEER {{side: 'b'}}]->(z:System)
    RETURN b.id AS session, head([(b)-[:OVER]->(l:Link) | l.id]) AS link,
           a {{.id, .hostname, .loopback, device: {_device("a")}}} AS a,
           z {{.id, .hostname, .loopback, device: {_device("z")}}} AS z
    """,
)
OBSERVED = Query(
    "telemetry.facts.observed",
    """
    UNWIND $uids AS uid
    MATCH (o:Observation {uid: uid})
    RETURN uid, o.value AS value, o.changed_at.epochMillis / 1000.0 AS changed_at
    """,
)

# scope: what else depends on a changed observation
INTERFACES_OF_TRANSCEIVERS = Query(
    "telemetry.scope.transceivers",
    """
    UNWIND $ids AS id
    MATCH (i:Interface)-[:HAS_TRANSCEIVER]->(:Transceiver {uid: $bp + '/' + id})
    RETURN i.id AS id
    """,
)
SESSIONS_BETWEEN = Query(
    "telemetry.scope.sessions_between",
    """
    UNWIND $pairs AS p
    MATCH (:System {uid: $bp + '/' + p[0]})<-[:PEER]-(b:BgpSession)-[:PEER]->
          (:System {uid: $bp + '/' + p[1]})
    RETURN DISTINCT b.id AS id
    """,
)
SYSTEM_SCOPE = Query(
    "telemetry.scope.systems",
    """
    UNWIND $ids AS id
    MATCH (s:System {uid: $bp + '/' + id})
    CALL {
        WITH s
        MATCH (s)-[:HAS_INTERFACE]->(i:Interface)<-[:ENDPOINT]-(:Link)
        RETURN collect(DISTINCT i.id) AS interfaces
    }
    CALL {
        WITH s
        MATCH (s)<-[:PEER]-(b:BgpSession)
        RETURN collect(DISTINCT b.id) AS sessions
    }
    RETURN interfaces, sessions
    """,
)
ALL_SYSTEMS = Query(
    "telemetry.scope.all_switches",
    "MATCH (s:System) WHERE s.blueprint = $bp AND s.role <> 'server' RETURN s.id AS id",
)


@dataclass
class Scope:
    """Ids to re-evaluate, per family."""

    systems: set[str] = field(default_factory=set)
    interfaces: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.systems or self.interfaces or self.sessions)


def _value(text: str | None) -> Mapping[str, Any] | None:
    return None if text is None else dict(json.loads(text))


@dataclass
class _Observed:
    """Observation values (and change times) by uid, fetched in one statement."""

    bp: str
    values: dict[str, tuple[str, float | None]] = field(default_factory=dict)

    def value(self, kind: str, observer: str, subject: str) -> Mapping[str, Any] | None:
        found = self.values.get(observation_uid(self.bp, kind, observer, subject))
        return None if found is None else _value(found[0])

    def changed_at(self, kind: str, observer: str, subject: str) -> float | None:
        found = self.values.get(observation_uid(self.bp, kind, observer, subject))
        return None if found is None else found[1]

    def managed(self, system: str, hostname: str, device: Mapping[str, Any] | None) -> Managed:
        return Managed(
            system=system,
            hostname=hostname,
            mode=device["deploy_mode"] if device else None,
            deviation=device["deviation"] if device else None,
            os_version=device.get("os_version") if device else None,
            nos_version_ok=device.get("nos_version_ok") if device else None,
            nos_version_allowed=device.get("nos_version_allowed") if device else None,
            device_obs=self.value("device", system, system),
            config_obs=self.value("config", system, system),
            daemons_obs=self.value("daemons", system, system),
        )


def _self_uids(bp: str, system: str) -> list[str]:
    return [observation_uid(bp, kind, system, system) for kind in ("device", "config", "daemons")]


def _observed(graph: Graph, bp: str, uids: Iterable[str]) -> _Observed:
    rows = graph.read(OBSERVED, uids=sorted(set(uids)))
    return _Observed(bp, {r["uid"]: (r["value"], r["changed_at"]) for r in rows})


@dataclass
class Facts:
    systems: list[Managed] = field(default_factory=list)
    interfaces: list[InterfaceFacts] = field(default_factory=list)
    sessions: list[SessionFacts] = field(default_factory=list)
    unused: list[UnusedPortFacts] = field(default_factory=list)


def facts(graph: Graph, bp: str, scope: Scope) -> Facts:
    """The intent behind every expectation in ``scope`` (one statement per family) and
    every observation they compare with (one statement for all)."""
    systems = graph.read(SYSTEM_INTENT, bp=bp, ids=sorted(scope.systems)) if scope.systems else []
    ifaces = (
        graph.read(INTERFACE_INTENT, bp=bp, ids=sorted(scope.interfaces))
        if scope.interfaces
        else []
    )
    sessions = (
        graph.read(SESSION_INTENT, bp=bp, ids=sorted(scope.sessions)) if scope.sessions else []
    )
    cabled = {r["interface"] for r in ifaces}
    rest = sorted(scope.interfaces - cabled)
    unused = graph.read(UNUSED_INTENT, bp=bp, ids=rest) if rest else []
    uids: list[str] = []
    for r in unused:
        uids += _self_uids(bp, r["system"])
        uids += [observation_uid(bp, k, r["system"], r["interface"]) for k in ("interface", "lldp")]
    for r in systems:
        uids += _self_uids(bp, r["system"])
    for r in ifaces:
        me = r["system"]
        uids += _self_uids(bp, me)
        uids += [observation_uid(bp, k, me, r["interface"]) for k in ("interface", "lldp")]
        if r["transceiver"]:
            uids.append(observation_uid(bp, "optics", me, r["transceiver"]["id"]))
    for r in sessions:
        a, z = r["a"]["id"], r["z"]["id"]
        uids += _self_uids(bp, a) + _self_uids(bp, z)
        uids += [
            observation_uid(bp, "bgp", a, r["session"]),
            observation_uid(bp, "bgp", z, r["session"]),
            observation_uid(bp, "route", a, z),
            observation_uid(bp, "route", z, a),
        ]
    seen = _observed(graph, bp, uids) if uids else _Observed(bp)
    out = Facts()
    out.systems = [seen.managed(r["system"], r["hostname"], r["device"]) for r in systems]
    out.interfaces = [_interface(seen, r) for r in ifaces]
    out.sessions = [_session(seen, r) for r in sessions]
    out.unused = [
        UnusedPortFacts(
            interface=r["interface"],
            name=r["name"],
            owner=seen.managed(r["system"], r["hostname"], r["device"]),
            iface_obs=seen.value("interface", r["system"], r["interface"]),
            lldp_obs=seen.value("lldp", r["system"], r["interface"]),
        )
        for r in unused
    ]
    return out


def _interface(seen: _Observed, r: Mapping[str, Any]) -> InterfaceFacts:
    me, iface, xcvr = r["system"], r["interface"], r["transceiver"]
    return InterfaceFacts(
        interface=iface,
        name=r["name"],
        owner=seen.managed(me, r["hostname"], r["device"]),
        link=r["link"],
        peer=PeerEnd(**r["peer"]),
        iface_obs=seen.value("interface", me, iface),
        iface_changed_at=seen.changed_at("interface", me, iface),
        lldp_obs=seen.value("lldp", me, iface),
        transceiver=xcvr["id"] if xcvr else None,
        media=xcvr["media"] if xcvr else None,
        optics_obs=seen.value("optics", me, xcvr["id"]) if xcvr else None,
    )


def _session(seen: _Observed, r: Mapping[str, Any]) -> SessionFacts:
    a, z = r["a"], r["z"]
    ends = []
    for me, peer in ((a, z), (z, a)):
        ends.append(
            SessionEnd(
                seen.managed(me["id"], me["hostname"], me["device"]),
                seen.value("bgp", me["id"], r["session"]),
                seen.value("route", me["id"], peer["id"]),
                peer["loopback"],
            )
        )
    return SessionFacts(r["session"], r["link"], ends[0], ends[1])


def interfaces_of_transceivers(graph: Graph, bp: str, ids: Iterable[str]) -> set[str]:
    return {r["id"] for r in graph.read(INTERFACES_OF_TRANSCEIVERS, bp=bp, ids=sorted(ids))}


def sessions_between(graph: Graph, bp: str, pairs: Iterable[tuple[str, str]]) -> set[str]:
    rows = graph.read(SESSIONS_BETWEEN, bp=bp, pairs=[list(p) for p in sorted(set(pairs))])
    return {r["id"] for r in rows}


def system_scope(graph: Graph, bp: str, ids: Iterable[str]) -> Scope:
    """Everything a switch observes (its linked interfaces and its sessions)."""
    scope = Scope()
    for r in graph.read(SYSTEM_SCOPE, bp=bp, ids=sorted(ids)):
        scope.interfaces.update(r["interfaces"])
        scope.sessions.update(r["sessions"])
    return scope


def all_switches(graph: Graph, bp: str) -> set[str]:
    return {r["id"] for r in graph.read(ALL_SYSTEMS, bp=bp)}
