"""The tenant lab deployed by the workers over SSH, as off-box agents reach real gear.

``lab.uml.tenants.served_tenant_lab`` boots the kernel with its management network (each
switch's ``eth0`` in VRF ``mgmt``, an sshd per switch); here every switch becomes an
off-box ``linuxfrr`` agent at its management address with the ``ssh`` transport and the
credential set ``tenant-lab`` (a key file on the workers) and the lab's host key pinned,
registered by a Celery worker,
then acknowledged, assigned and deployed (``labharness.rollout.deploy_all``: every push a
Celery task through the driver, over SSH into the kernel). The guest then attaches the
servers and runs the tenant checks of the committed blueprint.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.devices.agent_spec import AgentSpec
from lab.uml import mgmt_net, tenant_mgmt
from lab.uml.tenants import ServedLab
from labharness import rollout, tenant_fabric
from napalm_linuxfrr.layout import DEFAULT_LAB_STATE_DIR

AGENT_TIMEOUT_S = 60  # an agent's bound on each connection step (SSH into UML: 3-11 s)
REGISTER_WAIT_S = 600.0


def agent_specs(served: ServedLab, pairs: list[tuple[str, str]]) -> list[AgentSpec]:
    """One agent per switch at its management address (no namespace on this machine)."""
    return [
        AgentSpec(
            name=rollout.lab_agent(system),
            address=str(ipaddress.ip_interface(served.net.switch_addresses[system]).ip),
            platform="linuxfrr",
            credential=mgmt_net.CREDENTIAL,
            profile=profile,
            options={
                "transport": "ssh",
                "timeout": AGENT_TIMEOUT_S,
                # the switch keeps the lab's file layout inside the kernel
                "layout": "lab",
                "netns": f"fg-{system}",
                "lab_state_dir": DEFAULT_LAB_STATE_DIR,
                "management": tenant_mgmt.MANAGEMENT_OPTION,
                # the host key the lab generated: any other key is refused
                "host_key": served.net.host_public_key,
            },
        )
        for system, profile in pairs
    ]


def register(blueprints: Blueprints, served: ServedLab, bp: str) -> float:
    """Every switch registered by a worker over SSH; the seconds it took."""
    started = time.monotonic()
    specs = agent_specs(served, rollout.switches(blueprints, bp))
    rollout.register_specs(
        blueprints, specs, REGISTER_WAIT_S, "tenant lab agents",
        allowed="a running worker that reaches the management network",
    )  # fmt: skip
    return time.monotonic() - started


def deploy(
    blueprints: Blueprints, served: ServedLab, bp: str, *, keep: bool = False
) -> dict[str, Any]:
    """Register, acknowledge, assign and deploy every switch through the workers; then the
    guest's checks. Phases in seconds under ``machine_phases_s``. With ``keep`` (a job
    with ``requests``) the lab stays up after them, answering ``served.request``."""
    phases: dict[str, float] = {}
    phases["register"] = round(register(blueprints, served, bp), 2)
    started = time.monotonic()
    rollout.deploy_all(blueprints, bp, report=lambda _: None)
    phases["lifecycle_pushes"] = round(time.monotonic() - started, 2)
    result = served.checked() if keep else served.deployed()
    result["machine_phases_s"] = phases
    return result


def job(blueprints: Blueprints, bp: str) -> tuple[tenant_fabric.Fabric, dict[str, Any]]:
    """The committed blueprint's facts and the guest's job (no documents: the workers
    push them)."""
    blueprints.create(bp, tenant_fabric.TEMPLATE)
    base = tenant_fabric.read_fabric(blueprints, bp)
    topology = tenant_fabric.topology_of(bp, blueprints, base)
    return base, tenant_fabric.checks_job(topology, base, wait_s=120.0)
