"""The ``pool_down`` anomaly: no worker of a pool answers, so its devices are neither
collected nor deployable.

One anomaly per (blueprint, pool) with managed devices of that blueprint on a pool
that is down: ``uid = <bp>/pool_down/<pool>``, ``subject`` the pool, ``device``
``pool:<pool>``, ``ON`` every system of those devices, the devices and systems in
``actual_value``. It is raised by the pool check (``workers.pools``) and cleared by the
first check that finds a worker of the pool again (or no device left on it); its root
cause (``telemetry.rootcause``, kind ``pool_down``) names the devices. Unlike the
other anomalies it does not come from an observation: no worker of the pool is
there to observe anything.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from blueprint_engine.devices.worker_pools import DownPlacement
from blueprint_engine.events import Publisher
from blueprint_engine.graph.db import Graph, Query
from telemetry import anomalies, causes
from telemetry.evaluate import AnomalyType

RAISED = Query(
    "telemetry.pool_down.raised",
    """
    MATCH (a:Anomaly) WHERE a.type = $type AND a.state = 'raised'
    RETURN a.uid AS uid, a.blueprint AS blueprint, a.subject AS subject,
           a.device AS device, a.actual_value AS actual_value, a.summary AS summary
    ORDER BY uid
    """,
)
UPSERT = Query(
    "telemetry.pool_down.raise",
    """
    UNWIND $rows AS r
    MERGE (a:Anomaly {uid: r.uid})
    ON CREATE SET a.blueprint = r.blueprint, a.type = $type, a.subject = r.subject,
                  a.device = r.device, a.first_seen = $now
    SET a.first_seen = CASE WHEN a.state = 'raised' THEN a.first_seen ELSE $now END,
        a.state = 'raised', a.cleared_at = null, a.last_seen = $now,
        a.expected = false, a.suppressed = false, a.expected_value = r.expected_value,
        a.actual_value = r.actual_value, a.summary = r.summary
    WITH a, r
    CALL {
        WITH a
        MATCH (a)-[old:ON]->()
        DELETE old
        RETURN count(*) AS removed
    }
    CALL {
        WITH a, r
        UNWIND r.systems AS id
        MATCH (s:System {uid: r.blueprint + '/' + id})
        MERGE (a)-[:ON]->(s)
        RETURN count(*) AS on
    }
    RETURN count(*) AS written
    """,
)
TYPE = AnomalyType.POOL_DOWN.value


def uid(bp: str, pool: str) -> str:
    return f"{bp}/{TYPE}/{pool}"


def _row(down: DownPlacement) -> dict[str, Any]:
    serials = [str(d["serial"]) for d in down.devices]
    systems = sorted({str(d["system"]) for d in down.devices})
    actual = {
        "pool": down.pool,
        "queue": down.queue,
        "last_alive_at": down.last_alive_at,
        "devices": serials,
        "systems": systems,
    }
    shown = ", ".join(serials[:10]) + (", ..." if len(serials) > 10 else "")
    return {
        "uid": uid(down.blueprint, down.pool),
        "blueprint": down.blueprint,
        "type": TYPE,
        "subject": down.pool,
        "device": f"pool:{down.pool}",
        "systems": systems,
        "expected": False,
        "suppressed": False,
        "expected_value": json.dumps({"workers_answering": True}),
        "actual_value": json.dumps(actual, sort_keys=True),
        "summary": f"no worker of pool {down.pool} (queue {down.queue}) answers: "
        f"{len(serials)} device(s) not collected and not deployable: {shown}",
    }


def plan(
    down: Iterable[DownPlacement], raised: Sequence[Mapping[str, Any]]
) -> dict[str, anomalies.Plan]:
    """Pure: {blueprint: what to raise, refresh and clear} from the pools down now and
    the pool anomalies raised before."""
    out: dict[str, anomalies.Plan] = defaultdict(anomalies.Plan)
    held = {r["uid"]: r for r in raised}
    now_down = {r["uid"]: r for r in (_row(d) for d in down)}
    for key, row in sorted(now_down.items()):
        todo = out[row["blueprint"]]
        todo.upsert.append(row)
        before = held.get(key)
        if before is None or before["actual_value"] != row["actual_value"]:
            todo.raised.append(row)
    for key, before in sorted(held.items()):
        if key not in now_down:
            row = {**before, "type": TYPE, "expected": False, "suppressed": False}
            out[str(before["blueprint"])].clear.append(row)
    return dict(out)


def sync_pool_anomalies(
    graph: Graph, redis: Publisher, down: Sequence[DownPlacement], now: float | None = None
) -> dict[str, list[str]]:
    """Raise/refresh the anomalies of the pools down now, clear the others, regroup
    the root causes of every blueprint touched; the uids raised and cleared."""
    now = time.time() if now is None else now
    todo = plan(down, graph.read(RAISED, type=TYPE))
    for bp, p in sorted(todo.items()):

        def work(tx: Any, p: anomalies.Plan = p) -> None:
            if p.upsert:
                graph.run(tx, UPSERT, rows=p.upsert, type=TYPE, now=now)
            if p.clear:
                graph.run(tx, anomalies.CLEAR, uids=[r["uid"] for r in p.clear], now=now)

        graph.write_tx(work)
        if p.raised or p.clear:
            anomalies.publish_events(redis, bp, p)
            causes.regroup(graph, redis, bp, now)
    return {
        "raised": sorted(r["uid"] for p in todo.values() for r in p.raised),
        "cleared": sorted(r["uid"] for p in todo.values() for r in p.clear),
    }
