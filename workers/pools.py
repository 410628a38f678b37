"""Worker pools on the workers: a worker makes its pool exist, and the pool check.

A worker starting on a queue ensures the ``WorkerPool`` of that queue in the graph
(``FG_POOL_CAPACITY`` devices when it creates it). Every ``FG_POOL_CHECK_INTERVAL_S``
the beat of each pool sends ``pools_check``; one check per interval runs for the whole
installation (a Redis key living one interval). It asks every worker which queues it
consumes (one broadcast, bounded at ``PING_TIMEOUT_S``), records each pool's liveness
and workers (``WorkerPools.status_recorded``: the devices of a pool that is down get
liveness ``unknown``), raises or clears the ``pool_down`` anomalies
(``telemetry.pool_down``) and spreads devices that have no pool over the pools.
A pool whose workers are all gone is therefore seen by the other pools' checks; a
pool that never had a worker is ``never_seen``, not down.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import redis
from celery import Celery
from celery.signals import worker_ready

from blueprint_engine.devices.placement import liveness, workers_per_queue
from blueprint_engine.devices.worker_pools import PoolStatus, WorkerPools
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import load_settings
from telemetry.pool_down import sync_pool_anomalies
from workers.app import GraphTask, app

log = logging.getLogger(__name__)

PING_TIMEOUT_S = 1.0  # workers have this long to say which queues they consume
CHECK_LOCK = "fabricgraph:pools:check"


def live_queues(celery: Celery, timeout_s: float = PING_TIMEOUT_S) -> dict[str, list[str]]:
    """{worker name: [queues it consumes]} of the workers that answered in ``timeout_s``."""
    replies = celery.control.inspect(timeout=timeout_s).active_queues() or {}
    return {
        str(worker): sorted(str(q.get("name")) for q in queues or [])
        for worker, queues in replies.items()
    }


def statuses(pools: WorkerPools, replies: dict[str, list[str]]) -> list[PoolStatus]:
    known = pools.queues()
    by_queue = workers_per_queue(replies, [queue for queue, _ in known.values()])
    return [
        PoolStatus(name, liveness(len(by_queue[queue]), seen), tuple(by_queue[queue]))
        for name, (queue, seen) in sorted(known.items())
    ]


def check_pools(graph: Graph, client: redis.Redis, replies: dict[str, list[str]]) -> dict[str, Any]:
    """Record one check's answers, raise/clear pool anomalies, spread unplaced devices."""
    pools = WorkerPools(graph)
    found = statuses(pools, replies)
    pools.status_recorded(found)
    anomalies = sync_pool_anomalies(graph, client, pools.down_placements())
    placed = pools.spread_unplaced()
    return {
        "pools": {s.name: {"liveness": str(s.liveness), "workers": list(s.workers)} for s in found},
        "anomalies": anomalies,
        "placed": [p.serial for p in placed],
    }


@app.task(name="fabricgraph.pools_check", base=GraphTask, bind=True, soft_time_limit=60)
def pools_check(self: GraphTask) -> dict[str, Any]:
    """One check per ``FG_POOL_CHECK_INTERVAL_S`` for the whole installation, whichever
    pool's beat asks first (a key that lives one interval): with many pools the workers
    are still asked once per interval, not once per pool."""
    client = redis.Redis.from_url(self.settings.redis_url)
    try:
        interval_ms = max(1000, int(self.settings.pool_check_interval_s * 1000) - 500)
        if not client.set(CHECK_LOCK, os.getpid(), nx=True, px=interval_ms):
            return {"skipped": "another pool checked within this interval"}
        return check_pools(self.graph, client, live_queues(app))
    finally:
        client.close()


@worker_ready.connect
def _ensure_own_pool(sender: Any = None, **_: Any) -> None:
    """A worker starting on a queue makes that queue's pool exist."""
    settings = load_settings()
    consumer = getattr(sender, "task_consumer", None)
    queues = [q.name for q in getattr(consumer, "queues", [])] or [settings.celery_queue]
    graph = Graph(settings)
    try:
        pools = WorkerPools(graph)
        for queue in queues:
            log.info(
                "worker pool %s (queue %s)",
                pools.ensure(queue, capacity=settings.pool_capacity),
                queue,
            )
    except Exception:  # the worker still serves; the next check sees it
        log.exception("could not record the worker pool of %s", queues)
    finally:
        graph.close()
