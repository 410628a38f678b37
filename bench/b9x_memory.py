"""B9x: resident memory of the API and one worker while serving `xlarge` (<= 1 GB).

As B9 (``bench/b9_memory.py``): the API answers a GraphQL read of the blueprint (its
counts and its first 1,000 leafs with their interfaces) and the worker renders every
switch of `xlarge` first, so both hold what serving that blueprint costs.
"""

from __future__ import annotations

import httpx

from bench.b9_memory import measure
from blueprint_engine.blueprints import Blueprints

READ = """
query($bp: String!) { blueprint(name: $bp) { leafs servers linksCount
  systems(role: "leaf", limit: 1000) { id asn loopback interfaces { name ipv4 } } } }
"""


def read(bps: Blueprints, name: str) -> None:
    settings = bps.graph.settings
    url = f"http://{settings.api_host}:{settings.api_port}/graphql"
    headers = {"Authorization": "Bearer dev-viewer"}
    with httpx.Client(timeout=300) as client:
        response = client.post(
            url, json={"query": READ, "variables": {"bp": name}}, headers=headers
        )
    response.raise_for_status()


def run() -> None:
    measure("B9x", "xlarge", "<= 1024 MB (API + one worker)", read)
