"""B6: telemetry ingestion with evaluation, and observation -> anomaly latency.

A fresh blueprint from a template (``medium`` by default) gets a device per switch,
assigned and deployed (lifecycle only; served by no collector), and the rounds a
collector would send: every fact of every switch (device, config, each linked
port's state, LLDP and optics, each BGP session end and its peer-loopback route)
with a new time, mostly unchanged values and a few changes per round (ports that
go down and come back, with their sessions), so anomalies are raised and cleared
and root causes regrouped along the way. Throughput is observations per second of
``ingest`` (write + change detection + samples + events + evaluation).

Latency: for faults injected into a round (a spine-leaf port down), the time from
handing the round to ``ingest`` until a separate reader sees the Anomaly node
raised in the graph (polling every 2 ms on its own connection).

Probes: the three predefined ones and ``FG_B6_USER_PROBES`` (10) user probes on the
kinds the rounds carry are evaluated on every ingest.

Targets: >= 20,000 observations/s; anomaly visible <= 1 s after its observation.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis

from bench.common import engine, median, p95, write_result
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.build import build_design
from blueprint_engine.design.model import BlueprintDesign, LinkRole, Role
from blueprint_engine.devices.lifecycle import Event
from blueprint_engine.devices.registry import Devices
from blueprint_engine.graph.db import Graph, Query
from telemetry.ingest import ingest
from telemetry.model import Observation, ObservationKind
from telemetry.probes import store as probes

TEMPLATE = os.environ.get("FG_B6_TEMPLATE", "medium")
ROUNDS = int(os.environ.get("FG_B6_ROUNDS", "60"))
# observation mixes: every FLAP_EVERY rounds the spine-leaf links that were down come
# back and LINKS_DOWN others go down (both ends, their sessions and routes change)
MIXES = {
    "typical": {"flap_every": 5, "links_down": 1},  # a fault every 10 s on the fabric
    "busy": {"flap_every": 1, "links_down": 2},  # 4 link state changes every round
}
LATENCY_SAMPLES = 20
# user probes evaluated beside the three predefined ones (0: the predefined ones only)
USER_PROBES = int(os.environ.get("FG_B6_USER_PROBES", "10"))
_IFACES = (
    "MATCH (:System {blueprint: $bp, role: '%s'})-[:HAS_INTERFACE]->(i:Interface)"
    "<-[:ENDPOINT]-(:Link) RETURN i.id AS subject"
)
_SESSIONS = "MATCH (s:BgpSession {blueprint: $bp}) RETURN s.id AS subject"
_XCVRS = "MATCH (x:Transceiver {blueprint: $bp}) RETURN x.id AS subject"
_SWITCHES = "MATCH (s:System {blueprint: $bp}) WHERE s.role <> 'server' RETURN s.id AS subject"
# (name, scope, kind, field, reducer, comparison): each on a kind the rounds carry
PROBES: tuple[tuple[str, str, str, str, dict[str, Any], dict[str, Any]], ...] = (
    (
        "spine-flaps",
        _IFACES % "spine",
        "interface",
        "oper_up",
        {"type": "state_changes", "window_s": 60},
        {"type": "threshold", "op": "ge", "value": 2},
    ),
    (
        "leaf-ports-down",
        _IFACES % "leaf",
        "interface",
        "oper_up",
        {"type": "current"},
        {"type": "threshold", "op": "eq", "value": False},
    ),
    (
        "sessions-down",
        _SESSIONS,
        "bgp",
        "established",
        {"type": "current"},
        {"type": "threshold", "op": "eq", "value": False},
    ),
    (
        "session-flaps",
        _SESSIONS,
        "bgp",
        "established",
        {"type": "state_changes", "window_s": 120},
        {"type": "threshold", "op": "ge", "value": 3},
    ),
    (
        "rx-power-low",
        _XCVRS,
        "optics",
        "rx_power_dbm",
        {"type": "min", "window_s": 60},
        {"type": "threshold", "op": "lt", "value": -8},
    ),
    (
        "rx-power-high",
        _XCVRS,
        "optics",
        "rx_power_dbm",
        {"type": "average", "window_s": 60},
        {"type": "threshold", "op": "gt", "value": 2},
    ),
    (
        "lldp-changes",
        _IFACES % "leaf",
        "lldp",
        "neighbor",
        {"type": "state_changes", "window_s": 60},
        {"type": "threshold", "op": "ge", "value": 2},
    ),
    (
        "spine-lldp-changes",
        _IFACES % "spine",
        "lldp",
        "port",
        {"type": "state_changes", "window_s": 60},
        {"type": "threshold", "op": "ge", "value": 2},
    ),
    (
        "unreachable",
        _SWITCHES,
        "device",
        "reachable",
        {"type": "current"},
        {"type": "threshold", "op": "eq", "value": False},
    ),
    (
        "leaf-flap-limit",
        _IFACES % "leaf",
        "interface",
        "oper_up",
        {"type": "state_changes", "window_s": 30},
        {"type": "property", "op": "gt", "property": "flap_limit", "default": 1},
    ),
)

Facts = dict[tuple[str, str, str], dict[str, Any]]

DROP_DEVICES = Query(
    "bench.b6.drop_devices",
    "MATCH (d:Device) WHERE d.serial STARTS WITH $prefix "
    "OPTIONAL MATCH (d)-[:HAS_CONFIG|HAS_DEPLOYMENT]->(x) DETACH DELETE x, d",
)
VISIBLE = Query(
    "bench.b6.visible",
    "MATCH (a:Anomaly {uid: $uid}) WHERE a.state = 'raised' RETURN a.last_seen AS at",
)


@contextmanager
def deployed(bps: Blueprints, template: str) -> Iterator[BlueprintDesign]:
    bp = f"bench-b6-{template}-{uuid.uuid4().hex[:6]}"
    prefix = f"B6{uuid.uuid4().hex[:6]}-"
    print(f"building {bp} with deployed devices ...", flush=True)
    bps.create(bp, template)
    design = build_design(bps.catalogue, template, bp)
    devices = Devices(bps.graph)
    try:
        for s in design.systems:
            if s.role == Role.SERVER:
                continue
            serial = prefix + s.id
            devices.register(
                serial,
                hostname=s.hostname,
                profile=str(s.device_profile),
                nos="linuxfrr",
                driver="linuxfrr",
                driver_args={},
                pristine="",
                worker_queue=f"no-collector-{prefix}",
            )
            for event in (Event.ACKNOWLEDGE, Event.ASSIGN, Event.DEPLOY):
                devices.event(serial, event, blueprint=bp, system=s.id)
        yield design
    finally:
        bps.graph.write(DROP_DEVICES, prefix=prefix)
        bps.delete(bp)


def healthy_facts(d: BlueprintDesign) -> Facts:
    systems = {s.id: s for s in d.systems}
    ifaces = {i.id: i for i in d.interfaces}
    xcvrs = {x.interface: x.id for x in d.transceivers}
    facts: Facts = {}
    for s in systems.values():
        if s.role != Role.SERVER:
            facts[("device", s.id, s.id)] = {"reachable": True, "hostname": s.hostname}
            facts[("config", s.id, s.id)] = {"deviated": False, "last_deploy": "succeeded"}
    for lk in d.links:
        for here, there in ((lk.a, lk.b), (lk.b, lk.a)):
            me, peer = ifaces[here], ifaces[there]
            if systems[me.system].role == Role.SERVER:
                continue
            facts[("interface", me.system, here)] = {"oper_up": True, "admin_up": True}
            switch_peer = systems[peer.system].role != Role.SERVER
            facts[("lldp", me.system, here)] = {
                "neighbor": systems[peer.system].hostname if switch_peer else None,
                "port": peer.name if switch_peer else None,
            }
            if here in xcvrs:
                facts[("optics", me.system, xcvrs[here])] = {"present": True, "rx_power_dbm": -2.5}
    for ses in d.sessions:
        for one, other in ((ses.a, ses.b), (ses.b, ses.a)):
            facts[("bgp", one, ses.id)] = {"established": True, "state": "Established"}
            facts[("route", one, other)] = {"present": True, "prefix": systems[other].loopback}
    return facts


def port_down(d: BlueprintDesign, facts: Facts, link_id: str) -> Facts:
    """A spine-leaf link down: both ends down, its session down, routes gone."""
    ifaces = {i.id: i for i in d.interfaces}
    link = next(lk for lk in d.links if lk.id == link_id)
    out = dict(facts)
    for end in (link.a, link.b):
        out[("interface", ifaces[end].system, end)] = {"oper_up": False, "admin_up": True}
        out[("lldp", ifaces[end].system, end)] = {"neighbor": None, "port": None}
    for ses in d.sessions:
        if ses.link == link_id:
            for me, peer in ((ses.a, ses.b), (ses.b, ses.a)):
                out[("bgp", me, ses.id)] = {"established": False, "state": "Active"}
                out[("route", me, peer)] = {"present": False, "prefix": None}
    return out


def observations(bp: str, facts: Facts, at: float) -> list[Observation]:
    return [Observation(bp, ObservationKind(k), o, s, v, at) for (k, o, s), v in facts.items()]


class Clock:
    def __init__(self) -> None:
        self.now = time.time() - 3600.0

    def tick(self) -> float:
        self.now += 2.0  # one collection interval
        return self.now


def throughput(
    graph: Graph, client: redis.Redis, d: BlueprintDesign, clock: Clock, mix: dict[str, int]
) -> dict[str, Any]:
    base = healthy_facts(d)
    links = [lk.id for lk in d.links if lk.role == LinkRole.SPINE_LEAF]
    rng = random.Random(6)
    ingest(graph, client, observations(d.name, base, clock.tick()))  # first round: all new
    total = changed = raised = cleared = 0
    seconds = write_s = eval_s = 0.0
    facts = base
    for n in range(ROUNDS):
        if n % mix["flap_every"] == 0:  # repair what was down, take other links down
            facts = base
            for link in rng.sample(links, mix["links_down"]):
                facts = port_down(d, facts, link)
        batch = observations(d.name, facts, clock.tick())
        started = time.perf_counter()
        result = ingest(graph, client, batch)
        seconds += time.perf_counter() - started
        total += result.observations
        changed += result.changed
        raised += len(result.anomalies_raised)
        cleared += len(result.anomalies_cleared)
        write_s += result.write_seconds
        eval_s += result.evaluate_seconds
    ingest(graph, client, observations(d.name, base, clock.tick()))  # all healthy again
    return {
        "observations": total,
        "seconds": round(seconds, 3),
        "per_s": round(total / seconds),
        "per_round": total // ROUNDS,
        "changed": changed,
        "changed_fraction": round(changed / total, 4),
        "anomalies_raised": raised,
        "anomalies_cleared": cleared,
        "write_s": round(write_s, 3),
        "evaluate_s": round(eval_s, 3),
    }


def _poll_visible(graph: Graph, uid: str, deadline: float, seen: list[float]) -> None:
    while time.perf_counter() < deadline:
        if graph.read(VISIBLE, uid=uid):
            seen.append(time.perf_counter())
            return
        time.sleep(0.002)


def latency(
    graph: Graph, reader: Graph, client: redis.Redis, d: BlueprintDesign, clock: Clock
) -> list[float]:
    """Seconds from handing a round with one broken port to ``ingest`` until another
    connection sees the anomaly raised."""
    base = healthy_facts(d)
    links = [lk for lk in d.links if lk.role == LinkRole.SPINE_LEAF]
    samples: list[float] = []
    for n in range(LATENCY_SAMPLES):
        link = links[(n * 7) % len(links)]
        uid = f"{d.name}/interface_down/{link.a}"
        seen: list[float] = []
        started = time.perf_counter()
        poller = threading.Thread(target=_poll_visible, args=(reader, uid, started + 10, seen))
        poller.start()
        ingest(graph, client, observations(d.name, port_down(d, base, link.id), clock.tick()))
        poller.join()
        if not seen:
            raise RuntimeError(f"anomaly {uid} not visible within 10 s")
        samples.append(seen[0] - started)
        ingest(graph, client, observations(d.name, base, clock.tick()))
    return samples


def add_probes(graph: Graph, bp: str, count: int) -> list[str]:
    """``count`` user probes on ``bp`` (cycling over ``PROBES``, numbered)."""
    names = []
    for i in range(count):
        name, scope, kind, field, reducer, comparison = PROBES[i % len(PROBES)]
        definition = {
            "name": f"{name}-{i}",
            "scope": scope,
            "kind": kind,
            "field": field,
            "processors": [reducer, comparison],
            "anomaly": {"type": name.replace("-", "_"), "severity": "warning"},
        }
        names.append(probes.create(graph, bp, definition, "bench").name)
    return names


def _profile(graph: Graph, before: dict[str, float], top: int = 30) -> dict[str, float]:
    spent = {k: v - before.get(k, 0.0) for k, v in graph.stats.seconds.items()}
    ranked = sorted(spent.items(), key=lambda kv: -kv[1])[:top]
    return {k: round(v, 3) for k, v in ranked}


def run(template: str = TEMPLATE, bench_id: str | None = None) -> None:
    bps = engine()
    graph = bps.graph
    reader = Graph(graph.settings)
    client = redis.Redis.from_url(graph.settings.redis_url)
    figures: dict[str, dict[str, Any]] = {}
    try:
        with deployed(bps, template) as design:
            user_probes = add_probes(graph, design.name, USER_PROBES)
            print(f"probes: 3 predefined + {len(user_probes)} user probes", flush=True)
            clock = Clock()
            for name, mix in MIXES.items():
                before = dict(graph.stats.seconds)
                figures[name] = {**throughput(graph, client, design, clock, mix), **mix}
                figures[name]["statement_seconds"] = _profile(graph, before)
                print(
                    name,
                    {k: v for k, v in figures[name].items() if k != "statement_seconds"},
                    flush=True,
                )
            samples = latency(graph, reader, client, design, clock)
    finally:
        reader.close()
        client.close()
    typical = figures["typical"]
    write_result(
        bench_id or ("B6" if template == "medium" else f"B6-{template}"),
        typical["per_s"],
        "observations/s",
        ">= 20000 observations/s with evaluation; anomaly visible <= 1 s",
        template,
        mix="typical",
        rounds=ROUNDS,
        mixes=figures,
        latency_median_s=round(median(samples), 4),
        latency_p95_s=round(p95(samples), 4),
        latency_max_s=round(max(samples), 4),
        latency_samples=len(samples),
        probes={"predefined": 3, "user": USER_PROBES},
        load_average=[round(x, 2) for x in os.getloadavg()],
    )
