"""B1: build `large` from its template: the graph and every resource (target <= 30 s)."""

from __future__ import annotations

from bench.common import engine, timed, write_result
from blueprint_engine.design.build import build_design
from blueprint_engine.design.store import write_design


def run() -> None:
    bps = engine()
    name = "bench-large"
    if name in bps.names():
        bps.delete(name)
    design_s, design = timed(lambda: build_design(bps.catalogue, "large", name))
    write_s, _ = timed(lambda: write_design(bps.graph, design))
    summary = bps.summary(name)
    nodes = (
        len(design.systems)
        + len(design.interfaces)
        + len(design.transceivers)
        + len(design.links)
        + len(design.sessions)
        + len(design.allocations)
        + len(design.racks)
        + len(design.pools)
        + len(design.virtual_networks)
    )
    write_result(
        "B1",
        design_s + write_s,
        "s",
        "<= 30 s",
        "large",
        design_s=round(design_s, 3),
        graph_write_s=round(write_s, 3),
        nodes=nodes,
        systems=summary["spines"] + summary["leafs"] + summary["servers"],
        links=summary["links"],
        bgp_sessions=summary["bgp_sessions"],
        resources=summary["resources"],
    )
