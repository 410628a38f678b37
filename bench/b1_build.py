"""B1: build `large` from its template: the graph and every resource (target <= 30 s).

``measure`` serves B1x too (``bench/b1x_build.py``): the same build of another
template with its own id and target.
"""

from __future__ import annotations

import os

from bench.common import engine, timed, write_result
from blueprint_engine.design.build import build_design
from blueprint_engine.design.model import BlueprintDesign
from blueprint_engine.design.store import BUILD_COMMIT, write_design


def node_count(design: BlueprintDesign) -> int:
    """The graph nodes a design writes (every intent object and allocation)."""
    return sum(
        len(items)
        for items in (
            design.pods,
            design.racks,
            design.systems,
            design.interfaces,
            design.transceivers,
            design.links,
            design.sessions,
            design.allocations,
            design.pools,
            design.virtual_networks,
        )
    )


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
    write_s, _ = timed(lambda: write_design(bps.graph, design))
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
        nodes=node_count(design),
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
