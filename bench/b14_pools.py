"""B14P: B14's collection rounds through real worker pools (SIMULATION devices).

The 520 switches of ``bench-large`` get simulated devices (as in B14) placed on worker
pool ``b14-pool-a``; each pool is one Celery worker process
(``deploy/services.sh start worker@<queue>``, ``FG_WORKER_CONCURRENCY=1``). A round is
what the beat of each pool sends: ``collect_blueprint(bp, queue=<its queue>)`` on the
pool's queue, collecting only the devices placed on that pool; the round lasts until
every pool has ingested its share (Celery dispatch included).

1. A first round on one pool (every observation new), then ``FG_B14_ROUNDS`` rounds
   with every switch on pool A (one pool).
2. Every other switch moved to pool ``b14-pool-b`` (operator moves), then the same
   rounds with two pools at once.

CPU per switch of each pool's worker (main process and its pool child), of Neo4j and
of the simulator, as B14; the sizing for 2,400 and 10,000 switches uses B14's
extrapolation with the one-pool figures measured here. Writes
``bench/results/B14-pools.json``.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.b14_collect import (
    CALLS_PER_SWITCH,
    LATENCY_MS,
    ROOT,
    ROUND_TARGET_S,
    _cpu_s,
    _free_port,
    _neo4j_pid,
    _start_simulator,
    extrapolate,
)
from bench.common import engine, ensure_blueprint, median, write_result
from blueprint_engine.devices.worker_pools import WorkerPools
from blueprint_engine.graph.db import Graph
from simulator.devices import forget_devices, register_devices

ROUNDS = int(os.environ.get("FG_B14_ROUNDS", "3"))
POOLS = ("b14-pool-a", "b14-pool-b")


def _services(*args: str) -> None:
    env = {**os.environ, "FG_WORKER_CONCURRENCY": "1"}
    subprocess.run([str(ROOT / "deploy/services.sh"), *args], check=True, timeout=150, env=env)


def _worker_pids(queue: str) -> list[int]:
    """The pool's worker: its main process and the children it forked."""
    state = Path(os.environ.get("FG_STATE_DIR", ROOT / ".state"))
    main = int((state / f"worker-{queue}.pid").read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == main:
                children.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return [main, *children]


def _cpu(pids: dict[str, list[int]]) -> dict[str, float]:
    return {name: sum(_cpu_s(p) for p in group) for name, group in pids.items()}


def _round(bp: str, queues: list[str]) -> dict[str, Any]:
    from workers.collect import collect_blueprint

    started = time.perf_counter()
    pending = [
        collect_blueprint.apply_async((bp,), {"queue": q, "wait_s": 60.0}, queue=q) for q in queues
    ]
    done = [p.get(timeout=900) for p in pending]
    wall = time.perf_counter() - started
    return {
        "wall_s": wall,
        "pools": [
            {
                "queue": q,
                "devices": d.get("devices", 0),
                "seconds": d.get("seconds"),
                "collect_s": d.get("collect_seconds"),
                "errors": len(d.get("errors") or {}),
            }
            for q, d in zip(queues, done, strict=True)
        ],
    }


def _rounds(bp: str, queues: list[str], n: int, pids: dict[str, list[int]]) -> dict[str, Any]:
    walls, parts = [], []
    spent = dict.fromkeys(pids, 0.0)
    for _ in range(n):
        before = _cpu(pids)
        r = _round(bp, queues)
        after = _cpu(pids)
        for name in pids:
            spent[name] += after[name] - before[name]
        walls.append(r["wall_s"])
        parts += r["pools"]
    switches = max(1, sum(p["devices"] for p in parts))
    per = {f"{k}_cpu_s_per_switch": round(v / switches, 5) for k, v in spent.items()}
    worker = sum(v for k, v in spent.items() if k.startswith("worker"))
    return {
        "pools": len(queues),
        "switches": switches // n,
        "rounds": n,
        "round_s_median": round(median(walls), 3),
        "round_s_max": round(max(walls), 3),
        "switches_per_s": round((switches // n) / median(walls), 1),
        "getters_s_median": round(median([float(p["collect_s"] or 0) for p in parts]), 3),
        "per_pool": parts[-len(queues) :],
        "errors": sum(p["errors"] for p in parts),
        "worker_cpu_s_per_switch": round(worker / switches, 5),
        **per,
    }


def _pools(graph: Graph) -> WorkerPools:
    pools = WorkerPools(graph)
    existing = {p["name"] for p in pools.listing()}
    for name in POOLS:
        if name not in existing:
            pools.create(name, name, 1000)
    return pools


def run() -> None:
    bps = engine()
    graph = bps.graph
    bp = ensure_blueprint(bps, "large")
    port = int(os.environ.get("FG_B14_SIM_PORT") or _free_port())
    pools = _pools(graph)
    print(f"registering simulated devices of {bp} on {POOLS[0]} ...", flush=True)
    serials = register_devices(graph, bp, "127.0.0.1", port, queue=POOLS[0])
    sim = _start_simulator(bp, port)
    started: list[str] = []
    try:
        for q in POOLS:
            _services("start", f"worker@{q}")
            started.append(q)
        pids = {f"worker_{q}": _worker_pids(q) for q in POOLS}
        pids["simulator"] = [sim.pid]
        neo4j = _neo4j_pid()
        if neo4j is not None:
            pids["neo4j"] = [neo4j]
        first = _rounds(bp, [POOLS[0]], 1, pids)
        print("first round (one pool)", first, flush=True)
        one = _rounds(bp, [POOLS[0]], ROUNDS, pids)
        print("one pool", one, flush=True)
        for serial in serials[1::2]:
            pools.move(serial, POOLS[1])
        two = _rounds(bp, list(POOLS), ROUNDS, pids)
        print("two pools", two, flush=True)
    finally:
        forget_devices(graph, bp)
        for q in started:
            _services("stop", f"worker@{q}")
        sim.terminate()
        sim.wait(timeout=30)
        for name in POOLS:
            pools.delete(name)
    latency = (CALLS_PER_SWITCH * LATENCY_MS + 50.0) / 1000
    sizing_in = {**one, "switches": one["switches"]}
    sizing = [extrapolate(n, sizing_in, latency) for n in (520, 2400, 10000)]
    write_result(
        "B14-pools",
        two["round_s_median"],
        "s per 520-switch round with two worker pools (one worker process each)",
        f"one 2-core machine keeps a {ROUND_TARGET_S:.0f} s round for 520 switches",
        "large",
        simulation=True,
        latency_ms_per_call=LATENCY_MS,
        first_round=first,
        one_pool=one,
        two_pools=two,
        target_met=two["round_s_median"] <= ROUND_TARGET_S,
        speedup=round(one["round_s_median"] / two["round_s_median"], 2),
        sizing=sizing,
        cpus=os.cpu_count(),
        load_average=[round(x, 2) for x in os.getloadavg()],
    )
