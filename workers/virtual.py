"""The virtual layer's periodic sweep: level-triggered against intent changes.

Sources push their inventory (``api.virtual_sync``); between pushes intent may change
(a virtual network added, removed or bound to other racks by a commit). Every
``FG_TELEMETRY_SWEEP_INTERVAL_S`` each blueprint with a virtual inventory has its vNICs
re-linked to the networks carrying their VLANs and its cross-layer anomalies
recomputed, so a fix in intent clears them without a new push. First, every libvirt host
of ``FG_LIBVIRT_SOURCES`` is read and re-synced (``workers.libvirt_source``): a host that
does not answer is reported in the result and leaves its inventory as it was.
"""

from __future__ import annotations

import redis

from blueprint_engine.errors import FabricError
from blueprint_engine.virtual import store
from telemetry.virtual_anomalies import check_blueprint
from workers import libvirt_source
from workers.app import GraphTask, app


@app.task(name="fabricgraph.virtual_sweep", base=GraphTask, bind=True)
def virtual_sweep(self: GraphTask) -> dict[str, dict[str, int | str]]:
    client = redis.Redis.from_url(
        self.settings.redis_url, socket_connect_timeout=2.0, socket_timeout=10.0
    )
    out: dict[str, dict[str, int | str]] = {}
    try:
        for host in libvirt_source.load_hosts(self.settings.libvirt_sources):
            key = f"libvirt:{host.source}"
            try:
                synced, _ = libvirt_source.sync_host(self.graph, client, host)
            except FabricError as exc:  # that host only: the others and the checks go on
                out[key] = {"error": str(exc)}
                continue
            out[key] = {"vms": synced.vms, "created": synced.created,
                        "updated": synced.updated, "deleted": synced.deleted}  # fmt: skip
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
