"""B14: collection throughput against the device simulator (SIMULATION).

Every switch of ``bench-large`` (520: 8 spines, 512 leafs) gets a simulated device
(``simulator.devices``, driver ``fgsim``, served by no worker queue so the
periodic tasks leave them alone), answered by one simulator process
(``python -m simulator serve``) with ``FG_B14_LATENCY_MS`` (default 30) +/- 10 ms
per getter call and 50 ms per connection open. A round is the collector's own
``workers.collect.collect_round``: open every device (16 threads per process),
run the eight getter calls, map, record liveness and ingest the whole round
(write + change detection + evaluation) in Neo4j.

- Throughput of one worker process: switches fully collected per second over
  full 520-switch rounds (after a first round that writes every observation).
- Round time for 520 switches with 1, 2 and 4 worker processes: the switches are
  split between OS processes (as worker pools split devices), started together,
  the round lasting until the last process has ingested its share.
- Per-switch cost: CPU seconds per switch of the worker processes, of Neo4j
  (its process, from /proc) and of the simulator; the closing note extrapolates
  how many worker processes 2,400 and 10,000 switches need for a 10 s round.

Target: one 2-core machine keeps a 10 s round for 520 switches.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import engine, ensure_blueprint, median, write_result
from simulator.devices import forget_devices, register_devices

TEMPLATE = "large"
ROUNDS = int(os.environ.get("FG_B14_ROUNDS", "3"))
LATENCY_MS = float(os.environ.get("FG_B14_LATENCY_MS", "30"))
PROCESSES = (1, 2, 4)
ROUND_TARGET_S = 10.0
THREADS_PER_PROCESS = 16  # workers.collect.MAX_THREADS
CALLS_PER_SWITCH = 8  # the eight getter calls of workers.collect.run_getters (counters too)
CPU_BUDGET = 0.7  # of a core per worker process, leaving headroom
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_s(pid: int) -> float:
    """utime + stime of a process (and its waited-for children), seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _neo4j_pid() -> int | None:
    state = Path(os.environ.get("FG_STATE_DIR", ROOT / ".state"))
    pidfile = state / "neo4j" / "neo4j.pid"
    try:
        pid = int(pidfile.read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return pid


def _start_simulator(bp: str, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "serve",
            bp,
            "--port",
            str(port),
            "--latency-ms",
            str(LATENCY_MS),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode() if proc.stdout else ""
            raise RuntimeError(f"the simulator exited during start: {out[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"the simulator did not listen on {port} within 120 s")


def _child(bp: str, systems: list[str], rounds: int, barrier: Any, results: Any) -> None:
    """One worker process: its share of every round, started at the barrier."""
    import redis

    from blueprint_engine.graph.db import Graph
    from blueprint_engine.settings import load_settings
    from workers.collect import collect_round

    graph = Graph(load_settings())
    client = redis.Redis.from_url(graph.settings.redis_url)
    graph.ping()
    try:
        for _ in range(rounds):
            barrier.wait(timeout=600)
            cpu0 = time.process_time()
            out = collect_round(graph, client, bp, systems=systems)
            results.put(
                {
                    "devices": out["devices"],
                    "seconds": out["seconds"],
                    "collect_s": out["collect_seconds"],
                    "errors": len(out["errors"]),
                    "cpu_s": time.process_time() - cpu0,
                }
            )
    finally:
        graph.close()
        client.close()


def _run(bp: str, systems: list[str], n: int, rounds: int, pids: dict[str, int]) -> dict[str, Any]:
    """``rounds`` rounds of ``systems`` split over ``n`` processes; their figures."""
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(n + 1), ctx.Queue()
    shares = [systems[i::n] for i in range(n)]
    procs = [ctx.Process(target=_child, args=(bp, s, rounds, barrier, results)) for s in shares]
    for p in procs:
        p.start()
    walls: list[float] = []
    parts: list[dict[str, Any]] = []
    cpu = {name: 0.0 for name in pids}
    try:
        for _ in range(rounds):
            before = {name: _cpu_s(pid) for name, pid in pids.items()}
            barrier.wait(timeout=600)
            started = time.perf_counter()
            got = [results.get(timeout=600) for _ in range(n)]
            walls.append(time.perf_counter() - started)
            for name, pid in pids.items():
                cpu[name] += _cpu_s(pid) - before[name]
            parts += got
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
    switches = len(systems) * rounds
    return {
        "processes": n,
        "switches": len(systems),
        "round_s_median": round(median(walls), 3),
        "round_s_max": round(max(walls), 3),
        "rounds": rounds,
        "switches_per_s": round(len(systems) / median(walls), 1),
        "getters_s_median": round(median([p["collect_s"] for p in parts]), 3),
        "errors": sum(p["errors"] for p in parts),
        "worker_cpu_s_per_switch": round(sum(p["cpu_s"] for p in parts) / switches, 5),
        **{f"{name}_cpu_s_per_switch": round(v / switches, 5) for name, v in cpu.items()},
    }


def extrapolate(switches: int, one: dict[str, Any], latency_s: float) -> dict[str, Any]:
    """Worker processes a 10 s round of ``switches`` needs, from one process's figures.

    A process is bounded by its CPU (``CPU_BUDGET`` of one core: ``worker_cpu_s`` per
    switch) and by its wall clock: its threads wait on the devices
    (``THREADS_PER_PROCESS`` switches in flight, ``latency_s`` each), then it maps and
    ingests the round. That last part is taken two ways: from the CPU it costs (the
    worker's and Neo4j's per switch: its wall time when nothing else waits for a core,
    the sizing figure) and as measured here (inflated by whatever else loads the
    machine). Neo4j's share is ``neo4j_cpu_s`` per switch, on the leader (ingest writes).
    """
    cpu, neo4j = one["worker_cpu_s_per_switch"], one.get("neo4j_cpu_s_per_switch") or 0.0
    waiting = latency_s / THREADS_PER_PROCESS
    measured = (one["round_s_median"] - one["getters_s_median"]) / one["switches"]
    by_cpu = ROUND_TARGET_S * CPU_BUDGET / cpu
    per_process = min(by_cpu, ROUND_TARGET_S / (waiting + cpu + neo4j))
    per_process_here = min(by_cpu, ROUND_TARGET_S / (waiting + measured))
    return {
        "switches": switches,
        "switches_per_process": int(per_process),
        "worker_processes": math.ceil(switches / per_process),
        "switches_per_process_as_measured_here": int(per_process_here),
        "worker_processes_as_measured_here": math.ceil(switches / per_process_here),
        "worker_cores": round(switches * cpu / ROUND_TARGET_S, 1),
        "neo4j_cores": round(switches * neo4j / ROUND_TARGET_S, 1),
    }


def run() -> None:
    bps = engine()
    graph = bps.graph
    bp = ensure_blueprint(bps, TEMPLATE)
    port = int(os.environ.get("FG_B14_SIM_PORT") or _free_port())
    print(f"registering simulated devices of {bp} ...", flush=True)
    register_devices(graph, bp, "127.0.0.1", port, queue="b14-served-by-no-worker")
    sim = _start_simulator(bp, port)
    try:
        pids = {"simulator": sim.pid}
        neo4j = _neo4j_pid()
        if neo4j is not None:
            pids["neo4j"] = neo4j
        from telemetry.collect_intent import read_intents

        systems = [i.system for i in read_intents(graph, bp, golden=False)]
        first = _run(bp, systems, 1, 1, pids)  # every observation new
        print("first round", first, flush=True)
        figures = {}
        for n in PROCESSES:
            figures[n] = _run(bp, systems, n, ROUNDS, pids)
            print(n, "processes", figures[n], flush=True)
    finally:
        sim.terminate()
        sim.wait(timeout=30)
        forget_devices(graph, bp)
    one = figures[1]
    per_switch_latency = (CALLS_PER_SWITCH * LATENCY_MS + 50.0) / 1000
    sizing = [extrapolate(n, one, per_switch_latency) for n in (520, 2400, 10000)]
    best = min(figures.values(), key=lambda f: f["round_s_median"])
    write_result(
        "B14",
        one["switches_per_s"],
        "switches/s (one worker process)",
        f"one 2-core machine keeps a {ROUND_TARGET_S:.0f} s round for {len(systems)} switches",
        TEMPLATE,
        simulation=True,
        switches=len(systems),
        latency_ms_per_call=LATENCY_MS,
        open_ms=50.0,
        first_round=first,
        processes={str(n): f for n, f in figures.items()},
        best_round_s=best["round_s_median"],
        best_processes=best["processes"],
        target_met=best["round_s_median"] <= ROUND_TARGET_S,
        sizing=sizing,
        sizing_assumptions={
            "round_s": ROUND_TARGET_S,
            "cpu_budget_per_process": CPU_BUDGET,
            "threads_per_process": THREADS_PER_PROCESS,
            "device_latency_s_per_switch": per_switch_latency,
            "worker_cpu_s_per_switch": one["worker_cpu_s_per_switch"],
            "neo4j_cpu_s_per_switch": one.get("neo4j_cpu_s_per_switch"),
            "ingest_wall_s_per_switch": round(
                (one["round_s_median"] - one["getters_s_median"]) / len(systems), 5
            ),
        },
        round_cpu_s={
            k: round(v * len(systems), 2) for k, v in one.items() if k.endswith("_cpu_s_per_switch")
        },
        cpus=os.cpu_count(),
        load_average=[round(x, 2) for x in os.getloadavg()],
    )
