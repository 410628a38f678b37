"""Shared by the lab integration tests: skip reasons, polling, drivers."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import napalm
import paramiko
import pytest

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.model import LinkRole
from blueprint_engine.design.reader import blueprint_lab_topology, read_cabling
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import load_settings
from lab import Lab, shell
from lab.errors import LabAlreadyRunningError
from lab.lock import lab_lock
from lab.uml import mgmt_net
from labharness import rollout

FABRIC = Path(__file__).resolve().parents[3] / "fixtures" / "napalm_linuxfrr" / "lab_fabric"
SWITCHES = ("spine1", "spine2", "leaf1", "leaf2")
SERVERS = ("server1", "server2")
T = TypeVar("T")


def skip_reason() -> str | None:
    """Why the lab cannot run here, or None."""
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces)"
    if shutil.which("ip") is None or shutil.which("vtysh") is None:
        return "iproute2 and FRR are needed (apt-get install iproute2 frr frr-pythontools lldpd)"
    if not os.path.isdir("/run/netns") and not os.access("/run", os.W_OK):
        return "`ip netns` is unavailable"
    return None


def eventually(check: Callable[[], T], timeout: float = 30.0, interval: float = 0.5) -> T:
    """Poll ``check`` until it returns a truthy value; fail with its last value."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = check()
    assert value, f"not true within {timeout}s: {check.__name__}"
    return value


def driver(lab: Lab, node: str) -> Any:
    device = napalm.get_network_driver("linuxfrr")(
        node, "", "", optional_args=lab.napalm_optional_args(node)
    )
    device.open()
    return device


def push(lab: Lab, node: str, text: str | None = None) -> Any:
    device = driver(lab, node)
    source = text if text is not None else (FABRIC / f"{node}.conf").read_text()
    device.load_replace_candidate(config=source)
    device.commit_config()
    return device


def pinned_ssh_client(net: mgmt_net.MgmtNet, host: str) -> paramiko.SSHClient:
    """An SSH client to a tenant-lab switch that accepts only the lab's host key."""
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    key = paramiko.hostkeys.HostKeyEntry.from_line(f"{host} {net.host_public_key}")
    assert key is not None and key.key is not None
    client.get_host_keys().add(host, key.key.get_name(), key.key)
    return client


def sessions_up(device: Any) -> bool:
    peers = device.get_bgp_neighbors()["global"]["peers"]
    return bool(peers) and all(p["is_up"] for p in peers.values())


LAB_LOCK_WAIT_S = float(os.environ.get("FG_LAB_LOCK_WAIT_S", "1800"))


@contextmanager
def exclusive_lab() -> Iterator[Lab]:
    """Skip when the lab cannot run here; otherwise wait for the machine's lab lock."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    with ExitStack() as stack:
        try:
            stack.enter_context(lab_lock(LAB_LOCK_WAIT_S))
        except LabAlreadyRunningError as exc:
            pytest.skip(exc.message)
        displace_running_lab(Lab())
        yield Lab()


DISPLACED: list[str] = []
"""The labs this session took down (``make run``'s demo is deployed again at its end)."""


def displace_running_lab(lab: Lab) -> None:
    """What a lab left on the machine while the tests hold its lab lock is taken down:
    ``make run``'s demo, a lab a stopped run left running, a crashed run's namespaces,
    tenant kernel or TAP (nobody else can be using them while the lock is held). The
    lab's devices are forgotten too, so that no worker keeps collecting from or pushing
    to its switches: the tests need the machine's one lab, and a newcomer's ``make run``
    then ``make test`` runs them all."""
    status = lab.status()
    leftovers = (
        bool(status.get("leftover_namespaces"))
        or mgmt_net.PID_FILE.exists()
        or mgmt_net.TAP in shell.list_links()
    )
    if not status.get("running") and not leftovers:
        return
    if status.get("running"):
        DISPLACED.append(str(status.get("name")))
    lab.down()  # a crashed run's namespaces or tenant kernel and TAP go too
    graph = Graph(load_settings())
    try:
        rollout.forget_lab_devices(graph)
    finally:
        graph.close()


@contextmanager
def lab_blueprint(
    graph: Graph, prefix: str, template: str = "lab"
) -> Iterator[tuple[Blueprints, Lab, str]]:
    """A fresh blueprint from ``template`` with its lab up and agents registered."""
    with exclusive_lab() as lab:
        blueprints = Blueprints(graph)
        bp = f"{prefix}-{uuid.uuid4().hex[:6]}"
        blueprints.create(bp, template)
        rollout.forget_lab_devices(graph)
        try:
            lab.up(blueprint_lab_topology(graph, bp))
            rollout.register_lab_agents(blueprints, lab, bp)
            yield blueprints, lab, bp
        finally:
            lab.down()
            rollout.forget_lab_devices(graph)
            blueprints.delete(bp)


FABRIC_ROLES = (LinkRole.SUPERSPINE_SPINE, LinkRole.SPINE_LEAF, LinkRole.LEAF_LEAF)


def fabric_session_ends(graph: Graph, bp: str) -> int:
    """BGP session ends the blueprint implies: two per switch-to-switch link (spine-leaf;
    5-stage also superspine-spine; collapsed leaf-leaf)."""
    design = read_cabling(graph, bp)
    return 2 * sum(1 for link in design.links if link.role in FABRIC_ROLES)


@contextmanager
def deployed_lab(
    graph: Graph, prefix: str, template: str = "lab"
) -> Iterator[tuple[Blueprints, Lab, str]]:
    """``lab_blueprint`` with every switch acknowledged, assigned, deployed and BGP up."""
    with lab_blueprint(graph, prefix, template) as (blueprints, lab, bp):
        rollout.deploy_all(blueprints, bp, report=lambda _: None)
        rollout.wait_bgp(blueprints, bp, expected=fabric_session_ends(graph, bp), timeout=60)
        yield blueprints, lab, bp
