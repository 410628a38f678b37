"""The push API's one entry point (GraphQL, REST and CLI): sync a source, then check.

A sync writes the source's inventory (``blueprint_engine.virtual.store``: a full
snapshot, or a batch of events) and then recomputes the virtual layer's anomalies of
the blueprint (``telemetry.virtual_anomalies``), publishing their events and
regrouping root causes. The answer counts both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from api.clients import redis_client
from blueprint_engine.errors import ValidationError
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import Settings
from blueprint_engine.virtual import store
from telemetry.virtual_anomalies import check_blueprint


def sync_inventory(
    graph: Graph,
    settings: Settings,
    bp: str,
    source: str,
    *,
    snapshot: object = None,
    events: object = None,
) -> dict[str, Any]:
    """Exactly one of ``snapshot`` (a full re-sync) and ``events`` (incremental)."""
    if (snapshot is None) == (events is None):
        raise ValidationError(
            "a sync takes a snapshot or events, not both and not neither",
            allowed="snapshot: {hypervisors, vms} or events: [{op, ...}]",
        )
    if snapshot is not None:
        if not isinstance(snapshot, Mapping):
            raise ValidationError(
                "the snapshot is not a JSON object", allowed="{hypervisors: [...], vms: [...]}"
            )
        result = store.sync_snapshot(graph, bp, source, snapshot)
    else:
        result = store.sync_events(graph, bp, source, events)
    client = redis_client(settings.redis_url)
    try:
        checked = check_blueprint(graph, client, bp)
    finally:
        client.close()
    return {
        **asdict(result),
        "vnics_checked": checked.vnics_checked,
        "anomalies_raised": checked.raised,
        "anomalies_cleared": checked.cleared,
        "anomalies_open": checked.open,
    }
