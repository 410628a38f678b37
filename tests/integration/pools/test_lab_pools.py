"""Two worker pools on the lab: each switch collected and reconciled by its own pool,
a pool killed and restarted without a duplicate push.

    pool A (this checkout's worker + beat)     pool B (worker@<queue> + beat@<queue>)
      spine1, rack1-leaf2, rack2-leaf*, ...      rack1-leaf1, spine2
    one commit touching spine1 (A) and rack1-leaf1 (B): one push each, by its own pool
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from blueprint_engine.devices.worker_pools import WorkerPools
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from labharness.rollout import lab_serial
from tests.integration.chaos import stack
from tests.integration.chaos.stack import Fabric
from tests.integration.lab.helpers import deployed_lab
from tests.integration.pools.helpers import made_pools, services, wait_for

pytestmark = [pytest.mark.lab, pytest.mark.integration]

ON_B = ("rack1-leaf1", "spine2")
PUSHES = Query(
    "test.lab_pools.pushes",
    """
    MATCH (d:Device) WHERE d.serial IN $serials
    OPTIONAL MATCH (d)-[:HAS_DEPLOYMENT]->(x:Deployment)
    WITH d, x ORDER BY x.at
    RETURN d.serial AS serial, collect(x.by) AS by, count(x) AS n,
           d.liveness AS liveness, d.last_collected_at AS collected_at
    """,
)
ANOMALY = Query(
    "test.lab_pools.anomaly",
    "OPTIONAL MATCH (a:Anomaly {uid: $uid}) RETURN a.state AS state, a.actual_value AS actual",
)


def _pushes(graph: Graph, serials: list[str]) -> dict[str, dict[str, Any]]:
    return {r["serial"]: dict(r) for r in graph.read(PUSHES, serials=serials)}


def _anomaly_state(graph: Graph, uid: str) -> Callable[[], str | None]:
    return lambda: graph.read(ANOMALY, uid=uid)[0]["state"]


def test_two_pools_on_the_lab_serve_their_own_switches_and_survive_a_pool_kill(
    graph: Graph, settings: Settings
) -> None:
    with deployed_lab(graph, "t-pools") as (blueprints, _, bp):
        f = Fabric(blueprints, bp, settings)
        serials = f.serials
        on_b = [lab_serial(s) for s in ON_B]
        with made_pools(graph, "labb") as made:
            [pool_b] = made
            queue_b = made[pool_b]
            services("start", f"worker@{queue_b}", f"beat@{queue_b}")
            try:
                for serial in on_b:
                    WorkerPools(graph).move(serial, pool_b)
                before = _pushes(graph, serials)
                stack.stage_speed_change(blueprints, bp)
                stack.commit_staged(blueprints, bp)
                stack.converge(f, "two pools: a commit touching a switch of each", time.monotonic())
                after = _pushes(graph, serials)
                grew = {s: after[s]["n"] - before[s]["n"] for s in serials}
                touched = {lab_serial("spine1"), lab_serial("rack1-leaf1")}
                assert grew == {s: int(s in touched) for s in serials}
                assert after[lab_serial("spine1")]["by"][-1:] == [settings.celery_queue]
                assert after[lab_serial("rack1-leaf1")]["by"][-1:] == [queue_b]
                # every worker of pool B gone: the other pool's check raises pool_down
                services("stop", f"worker@{queue_b}")
                uid = f"{bp}/pool_down/{pool_b}"
                wait_for(
                    lambda: _anomaly_state(graph, uid)() == "raised",
                    2 * settings.pool_check_interval_s + 20,
                    "pool_down raised within a sweep",
                )
                spine1 = lab_serial("spine1")
                seen = _pushes(graph, [spine1])[spine1]["collected_at"]
                wait_for(
                    lambda: _pushes(graph, [spine1])[spine1]["collected_at"] > seen,
                    60,
                    "pool A still collecting its switches",
                )
                down = _pushes(graph, serials)
                assert {s: down[s]["liveness"] for s in on_b} == dict.fromkeys(on_b, "unknown")
                assert {down[s]["liveness"] for s in serials if s not in on_b} == {"connected"}
                # pool B back: cleared, converged, and nothing pushed again
                services("start", f"worker@{queue_b}")
                wait_for(
                    lambda: _anomaly_state(graph, uid)() == "cleared",
                    2 * settings.pool_check_interval_s + 20,
                    "pool_down cleared when pool B answers again",
                )
                stack.converge(f, "pool B restarted", time.monotonic())
                again = _pushes(graph, serials)
                assert {s: again[s]["n"] for s in serials} == {s: after[s]["n"] for s in serials}
            finally:
                services("stop", f"worker@{queue_b}", f"beat@{queue_b}")
