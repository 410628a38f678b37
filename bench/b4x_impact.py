"""B4x: impact of a transceiver on `xlarge` through GraphQL over HTTP: p95 <= 25 ms.

As B4 (``bench/b4_impact.py``), on the 5-stage fabric: transceivers sampled at random
over the whole blueprint (superspine and pod-spine ports, leaf uplinks, leaf server
ports) after a warm-up; superspines, spines, a plane and a pod timed beside it.
"""

from __future__ import annotations

import os
import random
from typing import Any

import httpx

from bench.b4_impact import ELEMENTS, figures, in_process, over_http
from bench.common import engine, ensure_blueprint, write_result

SAMPLES = 1000
WARMUP = 30


def run() -> None:
    bps = engine()
    settings = bps.graph.settings
    name = ensure_blueprint(bps, "xlarge")
    ids = {row["kind"]: row["ids"] for row in bps.graph.read(ELEMENTS, bp=name)}
    rng = random.Random(4)
    picks = [("transceiver", x) for x in rng.sample(sorted(ids["transceiver"]), SAMPLES)]
    tiers = {
        "superspine": [("system", "superspine1"), ("system", "superspine16")],
        "pod_spine": [("system", "pod1-spine1"), ("system", "pod36-spine4")],
        "plane": [("plane", "plane1")],
        "pod": [("pod", "pod1")],
    }
    url = f"http://{settings.api_host}:{settings.api_port}/graphql"
    with httpx.Client(timeout=120) as client:
        for kind, element in picks[:WARMUP]:
            over_http(client, url, name, kind, element)
        http = [over_http(client, url, name, k, x) for k, x in picks]
        by_tier = {tier: _tier(client, url, name, elements) for tier, elements in tiers.items()}
    engine_only = figures([in_process(bps.graph, name, k, x) for k, x in picks[:200]])
    result = figures(http)
    write_result(
        "B4x",
        result["p95_ms"],
        "ms",
        "<= 25 ms",
        "xlarge",
        **result,
        engine_only_200=engine_only,
        tiers_over_http=by_tier,
        load_average_1_5_15=[round(x, 2) for x in os.getloadavg()],
        cpu_count=os.cpu_count(),
    )


def _tier(client: httpx.Client, url: str, name: str, elements: list[tuple[str, str]]) -> Any:
    """Figures of one tier's elements, or the error the API gave (recorded, not hidden)."""
    try:
        return figures([over_http(client, url, name, k, x) for k, x in elements])
    except (RuntimeError, httpx.HTTPError) as exc:
        return {"error": str(exc)[:300]}
