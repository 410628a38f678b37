"""Fetch the facts behind the expectations that depend on a set of changed subjects.

One query per family (systems, interfaces, sessions), each taking the list of ids
to re-evaluate: work is proportional to what changed, never to the blueprint.
Observations are found by their uid (``<bp>/<kind>/<observer>/<subject>``), an
index seek each.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from blueprint_engine.db import Graph, Query
from telemetry.evaluate import InterfaceFacts, Managed, PeerEnd, SessionEnd, SessionFacts


def _managed_map(system: str, device: str, prefix: str) -> str:
    """Cypher map of a system's lifecycle facts and its own device/config observations."""
    return f"""
    {{system: {system}.id, hostname: {system}.hostname, mode: {device}.deploy_mode,
      deviation: {device}.deviation, device_obs: {prefix}dev.value,
      config_obs: {prefix}cfg.value}}"""


def _managed_match(system: str, device: str, prefix: str) -> str:
    return f"""
    OPTIONAL MATCH ({device}:Device)-[:ASSIGNED_TO]->({system})
    OPTIONAL MATCH ({prefix}dev:Observation
        {{uid: $bp + '/device/' + {system}.id + '/' + {system}.id}})
    OPTIONAL MATCH ({prefix}cfg:Observation
        {{uid: $bp + '/config/' + {system}.id + '/' + {system}.id}})"""


SYSTEM_FACTS = Query(
    "telemetry.facts.systems",
    f"""
    UNWIND $ids AS id
    MATCH (s:System {{uid: $bp + '/' + id}}) WHERE s.role <> 'server'
    {_managed_match("s", "d", "s")}
    RETURN {_managed_map("s", "d", "s")} AS m
    """,
)
INTERFACE_FACTS = Query(
    "telemetry.facts.interfaces",
    f"""
    UNWIND $ids AS id
    MATCH (s:System)-[:HAS_INTERFACE]->(i:Interface {{uid: $bp + '/' + id}})
    WHERE s.role <> 'server'
    MATCH (i)<-[:ENDPOINT]-(l:Link)-[:ENDPOINT]->(pi:Interface)<-[:HAS_INTERFACE]-(ps:System)
    WHERE pi <> i
    OPTIONAL MATCH (i)-[:HAS_TRANSCEIVER]->(x:Transceiver)
    OPTIONAL MATCH (pd:Device)-[:ASSIGNED_TO]->(ps)
    {_managed_match("s", "d", "s")}
    OPTIONAL MATCH (io:Observation {{uid: $bp + '/interface/' + s.id + '/' + i.id}})
    OPTIONAL MATCH (lo:Observation {{uid: $bp + '/lldp/' + s.id + '/' + i.id}})
    OPTIONAL MATCH (xo:Observation {{uid: $bp + '/optics/' + s.id + '/' + x.id}})
    RETURN i.id AS interface, i.name AS name, l.id AS link,
           {_managed_map("s", "d", "s")} AS owner,
           {{interface: pi.id, name: pi.name, system: ps.id, hostname: ps.hostname,
             role: ps.role, has_device: pd IS NOT NULL}} AS peer,
           io.value AS iface_obs, io.changed_at.epochMillis / 1000.0 AS iface_changed_at,
           lo.value AS lldp_obs, x.id AS transceiver, x.media AS media,
           xo.value AS optics_obs
    """,
)
SESSION_FACTS = Query(
    "telemetry.facts.sessions",
    f"""
    UNWIND $ids AS id
    MATCH (b:BgpSession {{uid: $bp + '/' + id}})
    MATCH (b)-[:PEER {{side: 'a'}}]->(a:System), (b)-[:PEER {{side: 'b'}}]->(z:System)
    OPTIONAL MATCH (b)-[:OVER]->(l:Link)
    {_managed_match("a", "ad", "a")}
    {_managed_match("z", "zd", "z")}
    OPTIONAL MATCH (ab:Observation {{uid: $bp + '/bgp/' + a.id + '/' + b.id}})
    OPTIONAL MATCH (zb:Observation {{uid: $bp + '/bgp/' + z.id + '/' + b.id}})
    OPTIONAL MATCH (ar:Observation {{uid: $bp + '/route/' + a.id + '/' + z.id}})
    OPTIONAL MATCH (zr:Observation {{uid: $bp + '/route/' + z.id + '/' + a.id}})
    RETURN b.id AS session, l.id AS link,
           {_managed_map("a", "ad", "a")} AS a, {_managed_map("z", "zd", "z")} AS z,
           ab.value AS a_bgp, zb.value AS z_bgp, ar.value AS a_route, zr.value AS z_route,
           z.loopback AS z_loopback, a.loopback AS a_loopback
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


def _managed(row: Mapping[str, Any]) -> Managed:
    return Managed(
        system=row["system"],
        hostname=row["hostname"],
        mode=row["mode"],
        deviation=row["deviation"],
        device_obs=_value(row["device_obs"]),
        config_obs=_value(row["config_obs"]),
    )


def system_facts(graph: Graph, bp: str, ids: Iterable[str]) -> list[Managed]:
    return [_managed(r["m"]) for r in graph.read(SYSTEM_FACTS, bp=bp, ids=sorted(ids))]


def interface_facts(graph: Graph, bp: str, ids: Iterable[str]) -> list[InterfaceFacts]:
    facts = []
    for r in graph.read(INTERFACE_FACTS, bp=bp, ids=sorted(ids)):
        facts.append(
            InterfaceFacts(
                interface=r["interface"],
                name=r["name"],
                owner=_managed(r["owner"]),
                link=r["link"],
                peer=PeerEnd(**r["peer"]),
                iface_obs=_value(r["iface_obs"]),
                iface_changed_at=r["iface_changed_at"],
                lldp_obs=_value(r["lldp_obs"]),
                transceiver=r["transceiver"],
                media=r["media"],
                optics_obs=_value(r["optics_obs"]),
            )
        )
    return facts


def session_facts(graph: Graph, bp: str, ids: Iterable[str]) -> list[SessionFacts]:
    facts = []
    for r in graph.read(SESSION_FACTS, bp=bp, ids=sorted(ids)):
        a = SessionEnd(_managed(r["a"]), _value(r["a_bgp"]), _value(r["a_route"]), r["z_loopback"])
        z = SessionEnd(_managed(r["z"]), _value(r["z_bgp"]), _value(r["z_route"]), r["a_loopback"])
        facts.append(SessionFacts(r["session"], r["link"], a, z))
    return facts


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
