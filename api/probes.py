"""The probe operations the API's three edges share (GraphQL, REST, CLI): list, create,
delete (a deleted probe's anomalies are cleared, with their events and root causes)."""

from __future__ import annotations

import time
from typing import Any

from api.clients import redis_client
from blueprint_engine.graph.db import Graph
from telemetry.probes import store
from telemetry.probes.evaluate import forget


def listing(graph: Graph, bp: str) -> list[dict[str, Any]]:
    return [store.as_dict(r) for r in store.list_probes(graph, bp)]


def create(graph: Graph, bp: str, definition: object, author: str) -> dict[str, Any]:
    probe = store.create(graph, bp, definition, author)
    return next(r for r in listing(graph, bp) if r["name"] == probe.name)


def delete(graph: Graph, redis_url: str, bp: str, name: str) -> dict[str, Any]:
    store.delete(graph, bp, name)
    client = redis_client(redis_url)
    try:
        outcome = forget(graph, client, bp, name, time.time())
    finally:
        client.close()
    return {"blueprint": bp, "name": name, "anomalies_cleared": len(outcome.cleared)}
