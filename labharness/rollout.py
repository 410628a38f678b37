"""Walk a blueprint's switches through the lifecycle on a real fabric.

Used by `make run`'s tour, the lab tests and benchmark B8: the lab's off-box
agent registers every switch (pristine config collected), then each device is
acknowledged (discovery 1), assigned (discovery 2) and deployed (service config),
every push a Celery task through NAPALM.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.model import Role
from blueprint_engine.design.reader import read_cabling
from blueprint_engine.devices.agent_spec import AgentSpec
from blueprint_engine.devices.agents import AgentStatus
from blueprint_engine.devices.lifecycle import Event, PushKind, Transition
from blueprint_engine.devices.registry import Devices
from blueprint_engine.devices.worker_pools import WorkerPools
from blueprint_engine.errors import FabricError, ServiceUnavailableError
from blueprint_engine.graph.db import Graph, Query
from workers.agent_ops import AgentOps
from workers.app import app
from workers.drivers import open_driver
from workers.outcome import Outcome
from workers.reconciler import reconcile_device

Report = Callable[[str], None]


FORGET_LAB_DEVICES = Query(
    "rollout.forget_lab_devices",
    """
    MATCH (d:Device) WHERE d.serial STARTS WITH 'LAB-'
    OPTIONAL MATCH (d)-[:HAS_CONFIG|HAS_DEPLOYMENT|HAD_EVENT]->(x)
    DETACH DELETE x, d
    """,
)
FORGET_LAB_AGENTS = Query(
    "rollout.forget_lab_agents",
    "MATCH (a:Agent) WHERE a.name IN $names "
    "OR ($all AND a.created_by = 'rollout' AND a.name STARTS WITH 'lab-') "
    "OR ($all AND a.created_by = 'ztp' AND a.name STARTS WITH 'ztp-lab-') DETACH DELETE a",
)
ZTP_AGENTS = Query(
    "rollout.ztp_agents",
    "MATCH (a:Agent) WHERE a.name IN $names RETURN a.name AS name, a.status AS status, "
    "a.reason AS reason, a.detail AS detail",
)
LAB_AGENT_WAIT_S = 120


def forget_lab_devices(graph: Graph) -> None:
    """Drop the lab's devices with their configs, deployments and history, and the lab's
    agents (the lab's switches are rebuilt with every lab, so their serials are reused)."""
    graph.write(FORGET_LAB_DEVICES)
    graph.write(FORGET_LAB_AGENTS, names=[], all=True)


def lab_serial(system: str) -> str:
    """The serial the lab's switch ``system`` reports (``get_facts``)."""
    return f"LAB-{system}"


def lab_agent(system: str) -> str:
    return f"lab-{system}"


def switches(blueprints: Blueprints, bp: str) -> list[tuple[str, str]]:
    """(system id, device profile) of every switch of ``bp``."""
    design = read_cabling(blueprints.graph, bp)
    return [(s.id, str(s.device_profile)) for s in design.systems if s.role != Role.SERVER]


def lab_agent_specs(lab: Any, pairs: list[tuple[str, str]]) -> list[AgentSpec]:
    """One linuxfrr off-box agent per switch, reaching it in its namespace (no credential:
    the netns transport needs none)."""
    return [
        AgentSpec(
            name=lab_agent(system),
            address=system,
            platform="linuxfrr",
            profile=profile,
            options=lab.napalm_optional_args(system),
        )
        for system, profile in pairs
    ]


def register_lab_agents(blueprints: Blueprints, lab: Any, bp: str) -> list[str]:
    """The lab's switches as off-box agents (platform linuxfrr), connected on the workers
    like any other: each device registers under the serial it reports, with its running
    config as pristine (re-created agents of known serials keep their devices' state)."""
    specs = lab_agent_specs(lab, switches(blueprints, bp))
    rows = register_specs(
        blueprints, specs, LAB_AGENT_WAIT_S, "lab agents",
        allowed="a running lab and worker (make worker, python -m lab up)",
    )  # fmt: skip
    return [str(r["serial"]) for r in rows]


def register_specs(
    blueprints: Blueprints, specs: list[AgentSpec], wait: float, what: str, allowed: str
) -> list[dict[str, Any]]:
    """Re-create ``specs`` as off-box agents and wait (``wait`` s) until a worker has
    registered each; a failed one is an error naming every failure."""
    blueprints.graph.write(FORGET_LAB_AGENTS, names=[s.name for s in specs], all=False)
    rows = AgentOps(blueprints.graph).create_specs(specs, author="rollout", wait=wait)
    failed = [r for r in rows if r["status"] != AgentStatus.REGISTERED]
    if failed:
        raise FabricError(
            f"{what} not registered: "
            + "; ".join(f"{r['name']}: {r['status']} {r['reason']} {r['detail']}" for r in failed),
            allowed=allowed,
        )
    return rows


def wait_ztp(blueprints: Blueprints, bp: str, timeout: float = LAB_AGENT_WAIT_S) -> float:
    """Seconds until every switch of ``bp``, provisioning itself (DHCP, the ZTP script,
    its call home), has an off-box agent that registered it under its serial."""
    names = [f"ztp-{lab_serial(system).lower()}" for system, _ in switches(blueprints, bp)]
    started = time.monotonic()
    while True:
        rows = {r["name"]: r for r in blueprints.graph.read(ZTP_AGENTS, names=names)}
        failed = [r for r in rows.values() if r["status"] in ("unreachable", "refused")]
        if failed:
            raise FabricError(
                "ZTP agents not registered: "
                + "; ".join(
                    f"{r['name']}: {r['status']} {r['reason']} {r['detail']}" for r in failed
                ),
                allowed="a running lab, API and worker",
            )
        if all(rows.get(n, {}).get("status") == AgentStatus.REGISTERED for n in names):
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            missing = sorted(n for n in names if rows.get(n, {}).get("status") != "registered")
            raise ServiceUnavailableError(
                f"switches not provisioned after {timeout:.0f} s: {', '.join(missing)}",
                allowed="the switches' ztp.log under the lab's state directory",
            )
        time.sleep(0.2)


def push_for(
    pools: WorkerPools, outcomes: list[Transition], timeout: float = 180
) -> list[dict[str, Any]]:
    """Reconcile every device whose transition calls for a push, in parallel on the
    workers of its pool (the reconciler renders and pushes the stage the new state
    intends); wait."""
    pending = [
        reconcile_device.apply_async(
            (t.device_id,),
            {"wait_s": timeout / 2},
            queue=pools.queue_of(t.device_id) or app.conf.task_default_queue,
        )
        for t in outcomes
        if t.push is not PushKind.NONE and t.config_stage is not None
    ]
    results = [r.get(timeout=timeout) for r in pending]
    failed = [o for o in map(Outcome.of, results) if not o.converged]
    if failed:
        raise FabricError("push failed on " + "; ".join(f"{o.serial}: {o.why}" for o in failed))
    return results


def deploy_all(blueprints: Blueprints, bp: str, report: Report = print) -> None:
    """Acknowledge, assign and deploy every switch of ``bp`` (already registered)."""
    devices, pools = Devices(blueprints.graph), WorkerPools(blueprints.graph)
    pairs = [(system, lab_serial(system)) for system, _ in switches(blueprints, bp)]
    report("acknowledge: discovery 1 (every port up, LLDP on)")
    push_for(pools, [devices.event(serial, Event.ACKNOWLEDGE) for _, serial in pairs])
    report("assign to blueprint systems: discovery 2 (hostnames, descriptions, spine MTU)")
    push_for(pools, [devices.event(s, Event.ASSIGN, blueprint=bp, system=sys) for sys, s in pairs])
    version = blueprints.staging.version(bp)
    for system, _ in pairs:
        version = blueprints.staging.stage(
            bp,
            {"kind": "set_deploy_mode", "params": {"system": system, "mode": "deploy"}},
            base_version=version,
            author="rollout",
        )
    if blueprints.staging.changes(bp):
        blueprints.commit(bp, base_version=version, author="rollout", message="deploy switches")
    report("deploy: service config (addresses, eBGP, static routes to servers)")
    push_for(pools, [devices.event(serial, Event.DEPLOY) for _, serial in pairs])


def bgp_state(blueprints: Blueprints, bp: str) -> dict[str, dict[str, bool]]:
    """{switch: {peer address: established}} read from each device through NAPALM."""
    devices = Devices(blueprints.graph)
    state: dict[str, dict[str, bool]] = {}
    for system, _ in switches(blueprints, bp):
        driver = open_driver(devices.get(lab_serial(system)), devices)
        try:
            peers = driver.get_bgp_neighbors().get("global", {}).get("peers", {})
        finally:
            driver.close()
        state[system] = {ip: bool(p["is_up"]) for ip, p in peers.items()}
    return state


def wait_bgp(blueprints: Blueprints, bp: str, expected: int, timeout: float = 90) -> float:
    """Seconds until ``expected`` sessions (counted per side) are established."""
    started = time.monotonic()
    while True:
        state = bgp_state(blueprints, bp)
        up = sum(v for peers in state.values() for v in peers.values())
        if up >= expected:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise ServiceUnavailableError(
                f"only {up} of {expected} BGP session ends established after {timeout:.0f} s",
                allowed="a fabric whose links are up and configs deployed",
            )
        time.sleep(1)
