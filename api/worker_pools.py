"""The worker pools as the API shows them: the graph's pools and devices, with each
pool's workers asked now (one bounded broadcast through the health monitor's broker
connection) next to what the last pool check recorded."""

from __future__ import annotations

from typing import Any

from api.health import PING_TIMEOUT_S, WorkerPinger
from blueprint_engine.devices.placement import liveness, workers_per_queue
from blueprint_engine.devices.worker_pools import WorkerPools
from blueprint_engine.graph.db import Graph


def pools_report(graph: Graph, pinger: WorkerPinger | None) -> dict[str, Any]:
    """``{"pools": [...], "unplaced": [...], "asked": bool, "error": str|None}``; each pool
    has ``liveness`` (now: up / down / never_seen, or the last check's when the workers
    could not be asked), ``workers`` answering now, ``load`` (devices / capacity) and its
    devices."""
    pools = WorkerPools(graph)
    listed = pools.listing()
    replies: dict[str, list[str]] | None = None
    error = None
    if pinger is not None:
        try:
            replies = pinger.active_queues()
        except Exception as exc:  # kombu and redis raise many kinds when the broker is down
            error = f"cannot ask the workers through the broker: {exc}"
    by_queue = workers_per_queue(replies or {}, [p["queue"] for p in listed])
    for pool in listed:
        pool["checked_liveness"] = pool["liveness"]
        pool["checked_workers"] = pool.pop("workers") or []
        if replies is not None:
            seen = pool["last_alive_at"] is not None or bool(by_queue[pool["queue"]])
            pool["liveness"] = str(liveness(len(by_queue[pool["queue"]]), seen))
            pool["workers"] = by_queue[pool["queue"]]
        else:
            pool["workers"] = pool["checked_workers"]
    return {
        "pools": listed,
        "unplaced": pools.unplaced(),
        "asked": replies is not None,
        "timeout_s": PING_TIMEOUT_S,
        "error": error,
    }
