"""B13: a new virtual network committed on a running EVPN fabric -> first packet across
racks in it (target <= 10 s), on the tenant lab deployed by the workers over SSH.

The tenant lab (one User-Mode Linux kernel, lab/README.md) boots with its management
network; blueprint ``lab-tenants`` is deployed through the workers' lifecycle
(``labharness.tenant_ssh``). Then the measured step (``labharness.tenant_network.add``):
the stretched network ``app`` is staged and committed through the engine as an operator
does, a reconcile task for each switch the revision touched is sent to the workers at
once (what the API's commit sends, ``DeviceOps.reconcile_touched``; the beat's sweep is
the net), the workers push the incremental config over SSH to those leafs, and a server
of rack 1 pings its peer of rack 2 in ``app`` (one ``ping`` sending every 0.2 s) until it
answers. The figure is commit start -> that answer, with its phases: stage, commit,
dispatch -> first push start, each push (the workers' started -> succeeded events), last
push end -> first packet. The removal is committed and pushed after it (figures
reported, not in the total). The load average is read before and after, and the running
workers' process counts are reported.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from bench.common import write_result
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import load_settings
from lab.lock import lab_lock
from lab.uml.tenants import served_tenant_lab
from labharness import rollout, tenant_fabric, tenant_network, tenant_ssh
from workers.app import app


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def worker_concurrency() -> dict[str, int]:
    """{worker: its pool's process count}, as the running workers report it."""
    stats = app.control.inspect(timeout=3.0).stats() or {}
    return {name: int(s.get("pool", {}).get("max-concurrency", 0)) for name, s in stats.items()}


def warm_up(blueprints: Blueprints) -> dict[str, float]:
    """The same stage and commit on a scratch blueprint first: an engine that has been
    running has Neo4j's query plans compiled (the first commit of a fresh Neo4j takes
    some 3 s more); the scratch figures are reported."""
    bp = f"b13w-{uuid.uuid4().hex[:8]}"
    try:
        blueprints.create(bp, tenant_fabric.TEMPLATE)
        base = tenant_fabric.read_fabric(blueprints, bp)
        racks = sorted({rack for _, rack, _ in base.servers.values()})
        add = {"kind": "add_virtual_network", "params": {**tenant_fabric.ADDED, "racks": racks}}
        marks = tenant_network.commit(blueprints, bp, add, "warm-up")
        return {"stage": round(marks["stage_s"], 3), "commit": round(marks["commit_s"], 3)}
    finally:
        blueprints.delete(bp)


def run() -> None:
    settings = load_settings()
    graph = Graph(settings)
    blueprints = Blueprints(graph)
    bp = f"b13-{uuid.uuid4().hex[:8]}"
    figures: dict[str, Any] = {"warm_up_s": warm_up(blueprints)}
    try:
        base, job = tenant_ssh.job(blueprints, bp)
        switches = sorted(s for s, _ in rollout.switches(blueprints, bp))
        with lab_lock():
            rollout.forget_lab_devices(graph)
            with served_tenant_lab({**job, "requests": True}, switches) as served:
                deployed = tenant_ssh.deploy(blueprints, served, bp, keep=True)
                if "error" in deployed:
                    raise RuntimeError(f"the tenant lab's deploy failed: {deployed['error']}")
                figures["loadavg_before"] = loadavg()
                figures["add"] = tenant_network.add(blueprints, served, bp, base)
                figures["loadavg_after_add"] = loadavg()
                figures["remove"] = tenant_network.remove(blueprints, served, bp, base)
    finally:
        rollout.forget_lab_devices(graph)
        blueprints.delete(bp)
        graph.close()
    add = figures["add"]
    phases = add["phases_s"]
    if phases["total"] is None:
        raise RuntimeError(f"no packet crossed the racks in the new network: {add['ping']}")
    pushed = sorted(s for s, rows in add["deployments"].items() if rows)
    print(f"B13 phases (s): {phases}  load {figures['loadavg_before']}")
    write_result(
        "B13",
        phases["total"],
        "s",
        "<= 10 s",
        "tenant lab (UML) from blueprint lab-tenants over SSH: spine1, 2 leafs, 2 servers",
        scope="engine stage + commit, reconcile tasks, the workers' SSH pushes, first packet",
        phases_s=phases,
        leafs_pushed=pushed,
        deployments_s={s: [d["seconds"] for d in rows] for s, rows in add["deployments"].items()},
        loadavg_before=figures["loadavg_before"],
        loadavg_after=figures["loadavg_after_add"],
        remove={
            "commit_s": figures["remove"]["commit_s"],
            "pushes": figures["remove"]["pushes"],
        },
        warm_up_commit_s=figures["warm_up_s"],
        collect_interval_s=settings.collect_interval_s,
        worker_concurrency=worker_concurrency(),
        lab_phases_s=deployed.get("phases_s"),
        lifecycle_phases_s=deployed.get("machine_phases_s"),
    )
