"""B4: impact of a transceiver on `large` through GraphQL over HTTP: p95 <= 25 ms.

Each request asks for the whole answer: the interface, link, BGP sessions, switches,
servers losing redundancy / all connectivity and virtual networks that depend on one
transceiver. Transceivers are sampled at random over the whole blueprint (spine ports,
leaf uplinks, leaf server ports) after a warm-up; the value is the p95 in ms. Other
element kinds are timed too and reported beside it, with the same requests run
in-process (engine only) to separate the GraphQL and HTTP layers from the traversal.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from typing import Any

import httpx

from bench.common import engine, ensure_blueprint, write_result
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.impact import query as impact

SAMPLES = 1000
WARMUP = 30
QUERY = """
query($bp: String!, $kind: ImpactKind!, $id: String!) {
  impact(blueprint: $bp, kind: $kind, id: $id) {
    interfaces { id system effect }
    links { id role a b effect }
    bgpSessions { id afi a b link effect }
    systems { id role effect uplinksBefore uplinksAfter }
    serversLosingRedundancy { id rack leafsBefore leafsAfter spinesBefore spinesAfter }
    serversLosingConnectivity { id rack leafsBefore leafsAfter spinesBefore spinesAfter }
    virtualNetworks { id vlan vni racks leafs unavailableInRacks
                      serversLosingRedundancy serversLosingConnectivity } } }
"""
ELEMENTS = Query(
    "bench.b4.elements",
    """
    CALL () { MATCH (x:Transceiver {blueprint: $bp}) RETURN 'transceiver' AS kind, x.id AS id
              UNION MATCH (l:Link {blueprint: $bp}) RETURN 'link' AS kind, l.id AS id
              UNION MATCH (s:System {blueprint: $bp}) WHERE s.role <> 'spine'
                    RETURN 'system' AS kind, s.id AS id }
    RETURN kind, collect(id) AS ids
    """,
)
OTHERS = {"link": 200, "system": 200}  # leafs and servers; spines are timed on their own


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def figures(samples: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples]
    return {
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 0.95), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "max_ms": round(max(ms), 2),
    }


def over_http(client: httpx.Client, url: str, bp: str, kind: str, element: str) -> float:
    variables = {"bp": bp, "kind": kind.upper(), "id": element}
    started = time.perf_counter()
    response = client.post(url, json={"query": QUERY, "variables": variables})
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    if "errors" in body:
        raise RuntimeError(f"impact of {kind} {element}: {body['errors']}")
    return elapsed


def in_process(graph: Graph, bp: str, kind: str, element: str) -> float:
    started = time.perf_counter()
    impact.impact(graph, bp, kind, element)
    return time.perf_counter() - started


def run() -> None:
    bps = engine()
    settings = bps.graph.settings
    name = ensure_blueprint(bps, "large")
    ids = {row["kind"]: row["ids"] for row in bps.graph.read(ELEMENTS, bp=name)}
    rng = random.Random(4)
    picks = [("transceiver", x) for x in rng.sample(sorted(ids["transceiver"]), SAMPLES)]
    others = [(k, x) for k, n in OTHERS.items() for x in rng.sample(sorted(ids[k]), n)]
    spines = [("system", f"spine{n}") for n in (1, 4, 8)]
    url = f"http://{settings.api_host}:{settings.api_port}/graphql"
    with httpx.Client(timeout=60) as client:
        for kind, element in picks[:WARMUP]:
            over_http(client, url, name, kind, element)
        http = [over_http(client, url, name, k, x) for k, x in picks]
        by_kind = {
            kind: figures([over_http(client, url, name, k, x) for k, x in others if k == kind])
            for kind in OTHERS
        }
        by_kind["spine"] = figures([over_http(client, url, name, k, x) for k, x in spines])
    engine_only = figures([in_process(bps.graph, name, k, x) for k, x in picks])
    result = figures(http)
    print(
        f"transceiver impact over HTTP: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, "
        f"p99 {result['p99_ms']} ms ({result['n']} samples); engine alone p95 "
        f"{engine_only['p95_ms']} ms"
    )
    load = [round(x, 2) for x in os.getloadavg()]  # the machine is shared: say how busy it was
    write_result(
        "B4",
        result["p95_ms"],
        "ms",
        "<= 25 ms",
        "large",
        **result,
        engine_only=engine_only,
        other_kinds_over_http=by_kind,
        load_average_1_5_15=load,
        cpu_count=os.cpu_count(),
    )
