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
from blueprint_engine.devices.lifecycle import Event, PushKind, Transition
from blueprint_engine.devices.registry import Devices
from blueprint_engine.devices.worker_pools import WorkerPools
from blueprint_engine.errors import FabricError, ServiceUnavailableError
from blueprint_engine.graph.db import Graph, Query
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


def forget_lab_devices(graph: Graph) -> None:
    """Drop the lab's devices with their configs, deployments and history (the lab's
    switches are rebuilt with every lab, so their serials are reused)."""
    graph.write(FORGET_LAB_DEVICES)


def lab_serial(system: str) -> str:
    return f"LAB-{system}"


def switches(blueprints: Blueprints, bp: str) -> list[tuple[str, str]]:
    """(system id, device profile) of every switch of ``bp``."""
    design = read_cabling(blueprints.graph, bp)
    return [(s.id, str(s.device_profile)) for s in design.systems if s.role != Role.SERVER]


def register_lab_agents(blueprints: Blueprints, lab: Any, bp: str) -> list[str]:
    """The lab's off-box agent: register each switch with its pristine (running) config."""
    devices = Devices(blueprints.graph)
    serials = []
    for system, profile in switches(blueprints, bp):
        serial = lab_serial(system)
        args = lab.napalm_optional_args(system)
        nos = str(blueprints.device_profile(profile).nos)
        # register first so the driver can be opened from what the graph knows
        devices.register(
            serial,
            hostname=system,
            profile=profile,
            nos=nos,
            driver="linuxfrr",
            driver_args=args,
            pristine="",
            worker_queue=app.conf.task_default_queue,
        )
        driver = open_driver(devices.get(serial))
        try:
            pristine = driver.get_config(retrieve="running")["running"]
        finally:
            driver.close()
        devices.store_config(serial, "pristine", pristine)
        serials.append(serial)
    return serials


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
        driver = open_driver(devices.get(lab_serial(system)))
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
