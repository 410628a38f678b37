"""The virtual layer's periodic sweep: level-triggered against intent changes.

Sources push their inventory (``api.virtual_sync``); between pushes intent may change
(a virtual network added, removed or bound to other racks by a commit). Every
``FG_TELEMETRY_SWEEP_INTERVAL_S`` each blueprint with a virtual inventory has its vNICs
re-linked to the networks carrying their VLANs and its cross-layer anomalies
recomputed, so a fix in intent clears them without a new push.
"""

from __future__ import annotations

import redis

from blueprint_engine.virtual import store
from telemetry.virtual_anomalies import check_blueprint
from workers.app import GraphTask, app


@app.task(name="fabricgraph.virtual_sweep", base=GraphTask, bind=True)
def virtual_sweep(self: GraphTask) -> dict[str, dict[str, int]]:
    client = redis.Redis.from_url(
        self.settings.redis_url, socket_connect_timeout=2.0, socket_timeout=10.0
    )
    out: dict[str, dict[str, int]] = {}
    try:
        for bp in store.virtual_blueprints(self.graph):
            relinked = store.relink(self.graph, bp)
            result = check_blueprint(self.graph, client, bp)
            out[bp] = {
                "relinked": relinked,
                "raised": len(result.raised),
                "cleared": len(result.cleared),
            }
    finally:
        client.close()
    return out
