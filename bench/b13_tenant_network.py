"""B13: a new virtual network on a running EVPN fabric -> first packet across racks
(target <= 10 s), in the tenant lab (one User-Mode Linux kernel, lab/README.md).

The fabric is blueprint ``lab-tenants`` in the graph (``labharness.tenant_fabric``): the
new network is staged and committed there (timed), then in the kernel the leafs' documents
after that commit are pushed by the ``linuxfrr`` driver, one leaf after the other, and the
two racks' servers ping each other in the new network until one answers. The commit runs
on this machine before the kernel boots (the kernel has no network to the graph) and the
workers' dispatch is not in it (the workers do not deploy into the tenant lab yet): the
figure is the sum of the measured phases, each reported.
"""

from __future__ import annotations

import uuid

from bench.common import write_result
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import load_settings
from lab.lock import lab_lock
from lab.uml.tenants import run_tenant_lab
from labharness import tenant_fabric
from labharness.tenant_fabric import ADDED_PING as PING

STEP = "add app"


def run() -> None:
    graph = Graph(load_settings())
    blueprints = Blueprints(graph)
    bp = f"b13-{uuid.uuid4().hex[:8]}"
    try:
        lab = tenant_fabric.build(blueprints, bp)
    finally:
        blueprints.delete(bp)
        graph.close()
    with lab_lock():
        result = run_tenant_lab(lab.job)
    if "error" in result:
        raise RuntimeError(f"the tenant lab failed: {result['error']}")
    step = result["steps"][STEP]
    first = step["pings"][PING]["answered_after_s"]
    if first is None:
        raise RuntimeError(f"no packet crossed the racks in the new network: {step['pings']}")
    pushes = {node: push["push_s"] for node, push in step["pushes"].items()}
    write_result(
        "B13",
        lab.added_commit_s + sum(pushes.values()) + first,
        "s",
        "<= 10 s",
        "tenant lab (UML) from blueprint lab-tenants: spine1, 2 leafs, 2 servers",
        scope="engine stage + commit, driver pushes, first packet (no worker dispatch)",
        commit_s=lab.added_commit_s,
        pushes_s=pushes,
        first_packet_after_pushes_s=first,
        leafs_pushed=step["pushed"],
        lab_up_s=result["phases_s"]["lab_up"],
        kernel_run_s=result["kernel_s"],
    )
