"""B5: the peer's nested read through the real API over HTTP (<= 0.5 s, <= 0.03 ms per
interface): 500 leafs of `large` with every port (name, speed, admin intent, address),
each cabled port's link and both far ends with their system's hostname.

Also measured: 100, 250 and all 512 leafs of `large`, and 2,000 leafs of `xlarge` (5-stage,
2,304 leafs; built once as ``bench-xlarge``, minutes) to show the growth, and the query B5
measured before (the first 500 systems, cabled interfaces, far ends
as id strings) for continuity. Besides wall time, the CPU seconds the API process and
Neo4j spent per request (from /proc) are recorded: this machine is shared, and wall
time under load says more about the neighbours than about the read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx

from bench.common import engine, ensure_blueprint, median, timed, write_result
from blueprint_engine.settings import load_settings

PEER_QUERY = """
query($n: String!, $k: Int!) { blueprint(name: $n) {
  systems(role: "leaf", first: $k) { hostname interfaces { name speedMbps enabled intent ipv4
    link { id aEnd { name system { hostname } } bEnd { name system { hostname } } } } } } }
"""
OLD_QUERY = """
query($n: String!) { blueprint(name: $n) {
  systems(limit: 500) { id hostname role interfaces { name ipv4 speedMbps
    link { id role subnet a b } } } } }
"""
RUNS = 6
SIZES = (100, 250, 500, 512)  # leafs asked for of `large` (it has 512)
XL_SIZE = 2000  # leafs asked for of `xlarge`


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pid(state_dir: str, name: str) -> int | None:
    for path in (Path(state_dir) / f"{name}.pid", Path(state_dir) / name / f"{name}.pid"):
        if path.exists():
            return int(path.read_text().split()[0])
    return None


def _measure(
    client: httpx.Client, url: str, body: dict[str, Any], pids: dict[str, int]
) -> dict[str, Any]:
    samples: list[float] = []
    cpu: dict[str, list[float]] = {name: [] for name in pids}
    data: Any = None
    for _ in range(RUNS):
        before = {name: _cpu_seconds(pid) for name, pid in pids.items()}
        elapsed, response = timed(lambda: client.post(url, json=body))
        response.raise_for_status()
        payload = response.json()
        if payload.get("errors"):
            raise RuntimeError(payload["errors"])
        data = payload["data"]["blueprint"]["systems"]
        samples.append(elapsed)
        for name, pid in pids.items():
            cpu[name].append(_cpu_seconds(pid) - before[name])
    interfaces = sum(len(s["interfaces"]) for s in data)
    cabled = sum(1 for s in data for i in s["interfaces"] if i["link"])
    value = median(samples[1:])
    return {
        "median_s": round(value, 4),
        "switches": len(data),
        "interfaces": interfaces,
        "cabled": cabled,
        "ms_per_interface": round(1000 * value / max(1, interfaces), 5),
        "cpu_s": {name: round(median(v[1:]), 3) for name, v in cpu.items()},
        "samples": [round(s, 3) for s in samples],
    }


def run() -> None:
    settings = load_settings()
    name = ensure_blueprint(engine(), "large")
    url = f"http://{settings.api_host}:{settings.api_port}/graphql"
    state = os.environ.get("FG_STATE_DIR", ".state")
    pids = {n: p for n in ("api", "neo4j") if (p := _pid(state, n)) is not None}
    with httpx.Client(timeout=300) as client:
        sizes = {}
        for k in SIZES:
            body = {"query": PEER_QUERY, "variables": {"n": name, "k": k}}
            sizes[str(k)] = _measure(client, url, body, pids)
        old = _measure(client, url, {"query": OLD_QUERY, "variables": {"n": name}}, pids)
        xl = ensure_blueprint(engine(), "xlarge")
        body = {"query": PEER_QUERY, "variables": {"n": xl, "k": XL_SIZE}}
        sizes[str(XL_SIZE)] = {"blueprint": "xlarge", **_measure(client, url, body, pids)}
    peer = sizes["500"]
    write_result(
        "B5",
        peer["median_s"],
        "s",
        "<= 0.5 s and <= 0.03 ms per interface",
        "large",
        query="peer: 500 leafs, every port, link, both far ends + hostname",
        ms_per_interface=peer["ms_per_interface"],
        interfaces=peer["interfaces"],
        by_requested_switches=sizes,
        old_query=old,
        load_average=round(os.getloadavg()[0], 1),
        note="100-512 leafs of large; 2000 leafs of xlarge",
        reads="shaped: one statement per list level, rows zipped into response maps",
    )
