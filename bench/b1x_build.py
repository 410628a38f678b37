"""B1x: build `xlarge` (5-stage, 2,464 switches, 18,432 servers) from its template
(target <= 60 s): the design, then the graph with every port and resource."""

from __future__ import annotations

import os

from bench.common import engine, timed, write_result
from blueprint_engine.design.build import build_design
from blueprint_engine.design.store import write_design


def run() -> None:
    bps = engine()
    name = "bench-xlarge"
    if name in bps.names():
        bps.delete(name)
    load_before = os.getloadavg()[0]
    design_s, design = timed(lambda: build_design(bps.catalogue, "xlarge", name))
    before = dict(bps.graph.stats.seconds)
    write_s, _ = timed(lambda: write_design(bps.graph, design))
    spent = {k: v - before.get(k, 0.0) for k, v in bps.graph.stats.seconds.items()}
    top = dict(sorted(((k, round(v, 1)) for k, v in spent.items()), key=lambda kv: -kv[1])[:8])
    summary = bps.summary(name)
    nodes = sum(
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
        )
    )
    write_result(
        "B1x",
        design_s + write_s,
        "s",
        "<= 60 s",
        "xlarge",
        design_s=round(design_s, 3),
        graph_write_s=round(write_s, 3),
        nodes=nodes,
        switches=summary["superspines"] + summary["spines"] + summary["leafs"],
        servers=summary["servers"],
        pods=summary["pods"],
        links=summary["links"],
        bgp_sessions=summary["bgp_sessions"],
        resources=summary["resources"],
        load_average_before=round(load_before, 1),
        load_average_after=round(os.getloadavg()[0], 1),
        statement_seconds=top,
    )
