"""B5: one nested GraphQL read of 500 devices with their interfaces and links (<= 1 s),
through the real API over HTTP."""

from __future__ import annotations

import httpx

from bench.common import engine, ensure_blueprint, median, timed, write_result
from blueprint_engine.settings import load_settings

QUERY = """
query($n: String!) { blueprint(name: $n) {
  systems(limit: 500) { id hostname role interfaces { name ipv4 speedMbps
    link { id role subnet a b } } } } }
"""


def run() -> None:
    settings = load_settings()
    name = ensure_blueprint(engine(), "large")
    url = f"http://{settings.api_host}:{settings.api_port}/graphql"
    samples: list[float] = []
    with httpx.Client(timeout=60) as client:
        for _ in range(6):
            elapsed, response = timed(
                lambda: client.post(url, json={"query": QUERY, "variables": {"n": name}})
            )
            response.raise_for_status()
            systems = response.json()["data"]["blueprint"]["systems"]
            samples.append(elapsed)
    interfaces = sum(len(s["interfaces"]) for s in systems)
    write_result("B5", median(samples[1:]), "s", "<= 1 s", "large", devices=len(systems),
                 interfaces=interfaces, first_request_s=round(samples[0], 3),
                 samples=[round(s, 3) for s in samples])  # fmt: skip
