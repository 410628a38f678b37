"""B1: build `large` from its template: the graph and every resource (target <= 30 s).

``measure`` serves B1x too (``bench/b1x_build.py``): the same build of another
template with its own id and target.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from bench.common import engine, timed, write_result
from blueprint_engine.design.build import build_design
from blueprint_engine.design.store import BUILD_COMMIT, design_nodes, write_design


def neo4j_cpu_seconds() -> float | None:
    """CPU seconds (user + system) the local Neo4j server has used, from ``/proc``: a
    figure of the server's work that the machine's load changes far less than wall time
    (None when the server is not this machine's process of ``deploy/neo4j``)."""
    state = Path(os.environ.get("FG_STATE_DIR", Path(__file__).resolve().parents[1] / ".state"))
    try:
        pid = (state / "neo4j" / "neo4j.pid").read_text().strip()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # fields after the command: state is [0], utime [11], stime [12] (in clock ticks)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(template: str, bench_id: str, target: str) -> None:
    """Build ``bench-<template>`` from scratch: the design, then the graph (timed apart),
    with the statements that took longest and the load average around it."""
    bps = engine()
    name = f"bench-{template}"
    if name in bps.names():
        bps.delete(name)
    load_before = os.getloadavg()[0]
    design_s, design = timed(lambda: build_design(bps.catalogue, template, name))
    before = dict(bps.graph.stats.seconds)
    server_before, client_before = neo4j_cpu_seconds(), time.process_time()
    write_s, _ = timed(lambda: write_design(bps.graph, design))
    server_after, client_cpu_s = neo4j_cpu_seconds(), time.process_time() - client_before
    server_cpu_s = (
        None if server_before is None or server_after is None else server_after - server_before
    )
    spent = {k: v - before.get(k, 0.0) for k, v in bps.graph.stats.seconds.items()}
    commits_s = spent.pop(BUILD_COMMIT, 0.0)
    top = dict(sorted(((k, round(v, 1)) for k, v in spent.items()), key=lambda kv: -kv[1])[:8])
    summary = bps.summary(name)
    switches = summary["superspines"] + summary["spines"] + summary["leafs"]
    write_result(
        bench_id,
        design_s + write_s,
        "s",
        target,
        template,
        design_s=round(design_s, 3),
        graph_write_s=round(write_s, 3),
        statements_s=round(sum(spent.values()), 3),
        commits_s=round(commits_s, 3),
        # CPU seconds of the graph write: the Neo4j server's and this client's
        neo4j_cpu_s=None if server_cpu_s is None else round(server_cpu_s, 1),
        client_cpu_s=round(client_cpu_s, 1),
        nodes=design_nodes(design),
        systems=switches + summary["servers"],
        switches=switches,
        servers=summary["servers"],
        pods=summary["pods"],
        links=summary["links"],
        bgp_sessions=summary["bgp_sessions"],
        resources=summary["resources"],
        load_average_before=round(load_before, 1),
        load_average_after=round(os.getloadavg()[0], 1),
        statement_seconds=top,
    )


def run() -> None:
    measure("large", "B1", "<= 30 s")
