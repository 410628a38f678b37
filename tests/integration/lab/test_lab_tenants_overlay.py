"""The EVPN overlay's telemetry on the tenant lab: a VNI removed out of band, seen through
the workers' periodic collection over SSH, explained by one root cause, cleared by a push.

Blueprint ``lab-tenants`` (``labharness.tenant_fabric``), deployed by the workers over
SSH as in ``test_lab_tenants_ssh``::

    spine1
     |      \\
    rack1-leaf1  rack2-leaf1    web (L2 VNI) stretched over both, db (L2 VNI) in rack2,
                                zone blue's L3 VNI on both

Every VNI, VTEP and leaf expected here is read from the blueprint (``Fabric``), not
from the engine. The fault: ``ip link del vni<web>`` on one of web's leafs, over SSH
into that switch (out of band). Then that leaf's ``vni_missing`` for web and, on the
other leaf, ``remote_vtep_missing`` about it (its VTEP gone from web's remote VTEPs),
with exactly one open root cause explaining both: the leaf's out-of-band change (its
running config shows the VXLAN device gone: a config deviation, the cause's third
symptom). A manual full push restores the device and every overlay anomaly and the
cause clear. Each state is waited for with bounded
polling of the graph (the collection runs on the workers' beat).
"""

from __future__ import annotations

import ipaddress
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Graph, Query
from lab.uml import tenants
from labharness import rollout, tenant_fabric, tenant_ssh
from labharness.tenant_fabric import Fabric
from tests.integration.lab.helpers import exclusive_lab, pinned_ssh_client
from tests.integration.lab.test_lab_tenants import uml_skip_reason
from workers.device_ops import DeviceOps

pytestmark = [pytest.mark.lab, pytest.mark.timeout(2400)]

# collection over SSH into the kernel is slow (seconds per device per round, more at load)
HEALTHY_WAIT_S = 300.0
FAULT_WAIT_S = 240.0
CLEAR_WAIT_S = 300.0
OVERLAY_TYPES = ("vni_missing", "remote_vtep_missing")

ANOMALIES = Query(
    "test.overlay.anomalies",
    """
    MATCH (a:Anomaly {blueprint: $bp}) WHERE a.type IN $types
    RETURN a.uid AS uid, a.type AS type, a.subject AS subject, a.device AS device,
           a.state AS state, a.expected AS expected, a.actual_value AS actual
    """,
)
CAUSES = Query(
    "test.overlay.causes",
    """
    MATCH (c:RootCause {blueprint: $bp})
    OPTIONAL MATCH (c)-[:EXPLAINS]->(a:Anomaly)
    RETURN c.uid AS uid, c.kind AS kind, c.subject AS subject, c.state AS state,
           c.summary AS summary, collect([a.type, a.subject, a.device]) AS symptoms
    """,
)
EVPN = Query(
    "test.overlay.evpn",
    """
    MATCH (o:Observation {blueprint: $bp, kind: 'evpn'})
    RETURN o.observer AS leaf, o.value AS value
    """,
)

Anomaly = tuple[str, str, str]  # (type, subject, device)


@dataclass
class Overlay:
    graph: Graph
    bp: str
    base: Fabric
    served: tenants.ServedLab

    def raised(self) -> set[Anomaly]:
        rows = self.graph.read(ANOMALIES, bp=self.bp, types=list(OVERLAY_TYPES))
        return {
            (r["type"], r["subject"], r["device"])
            for r in rows
            if r["state"] == "raised" and not r["expected"]
        }

    def states(self) -> dict[Anomaly, str]:
        rows = self.graph.read(ANOMALIES, bp=self.bp, types=list(OVERLAY_TYPES))
        return {(r["type"], r["subject"], r["device"]): r["state"] for r in rows}

    def causes(self, state: str = "open") -> list[dict[str, Any]]:
        rows = self.graph.read(CAUSES, bp=self.bp)
        for r in rows:
            r["symptoms"] = {tuple(s) for s in r["symptoms"] if s[0] is not None}
        return [r for r in rows if r["state"] == state]

    def overlay_causes(self) -> list[dict[str, Any]]:
        """The open causes explaining an overlay anomaly."""
        return [c for c in self.causes() if any(s[0] in OVERLAY_TYPES for s in c["symptoms"])]

    def evpn(self) -> dict[str, dict[str, Any]]:
        return {r["leaf"]: json.loads(r["value"]) for r in self.graph.read(EVPN, bp=self.bp)}

    def ssh(self, switch: str, command: str) -> str:
        """Run ``command`` on ``switch`` over its management network (out of band)."""
        host = str(ipaddress.ip_interface(self.served.net.switch_addresses[switch]).ip)
        client = pinned_ssh_client(self.served.net, host)
        client.connect(
            host, username="root", key_filename=self.served.net.client_key, timeout=60,
            banner_timeout=60, auth_timeout=60, look_for_keys=False, allow_agent=False,
        )  # fmt: skip
        try:
            _, out, err = client.exec_command(command, timeout=60)
            status = out.channel.recv_exit_status()
            text = str(out.read().decode()) + str(err.read().decode())
        finally:
            client.close()
        assert status == 0, f"{switch}: {command!r} failed ({status}): {text}"
        return text


def intended(base: Fabric) -> dict[str, dict[int, list[str]]]:
    """Per leaf, the VNIs the blueprint gives it with the remote VTEPs each should list
    (the other leafs of a network; none for the zone's L3 VNI)."""
    out: dict[str, dict[int, list[str]]] = {leaf: {} for leaf in base.leafs}
    for network in base.networks.values():
        for leaf in network.leafs:
            out[leaf][network.vni] = sorted(base.vteps[o] for o in network.leafs if o != leaf)
            out[leaf][base.l3vni] = []
    return {leaf: vnis for leaf, vnis in out.items() if vnis}


def as_observed(evpn: dict[str, Any], base: Fabric) -> dict[int, list[str]]:
    """The VNIs of an ``evpn`` observation that are present and up, with the remote VTEPs
    of the L2 ones (FRR lists none for an L3 VNI: not compared)."""
    return {
        v["vni"]: v["remote_vteps"] if v["vni"] != base.l3vni else []
        for v in evpn["vnis"]
        if v["present"] and v["up"]
    }


def wait_for(what: str, timeout: float, done: Callable[[], bool], shown: Callable[[], Any]) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s; now {shown()}")
        time.sleep(1.0)


@pytest.fixture(scope="module")
def overlay(graph: Graph) -> Iterator[Overlay]:
    reason = uml_skip_reason()
    if reason:
        pytest.skip(reason)
    blueprints = Blueprints(graph)
    bp = f"t-overlay-{uuid.uuid4().hex[:8]}"
    try:
        base, job = tenant_ssh.job(blueprints, bp)
        switches = sorted(s for s, _ in rollout.switches(blueprints, bp))
        with exclusive_lab():
            rollout.forget_lab_devices(graph)
            with tenants.served_tenant_lab(job, switches) as served:
                tenant_ssh.register(blueprints, served, bp)
                rollout.deploy_all(blueprints, bp, report=lambda _: None)
                yield Overlay(graph, bp, base, served)
    finally:
        rollout.forget_lab_devices(graph)
        blueprints.delete(bp)


def test_every_leaf_observes_the_vnis_and_remote_vteps_the_blueprint_gives_it(
    overlay: Overlay,
) -> None:
    expected = intended(overlay.base)
    assert sorted(expected) == overlay.base.leafs  # both leafs serve a network

    def healthy() -> bool:
        seen = overlay.evpn()
        return {leaf: as_observed(seen[leaf], overlay.base) for leaf in seen} == expected

    wait_for("the deployed overlay observed as intended", HEALTHY_WAIT_S, healthy, overlay.evpn)
    wait_for(
        "no overlay anomaly on the deployed overlay",
        HEALTHY_WAIT_S,
        lambda: not overlay.raised() and not overlay.overlay_causes(),
        lambda: (overlay.raised(), overlay.overlay_causes()),
    )
    assert all(v["unrouted_vteps"] == [] for v in overlay.evpn().values())


def test_a_vni_removed_out_of_band_is_one_root_cause_cleared_by_a_push(
    overlay: Overlay,
) -> None:
    base = overlay.base
    web = base.networks[tenant_fabric.STRETCHED]
    victim, other = web.leafs[1], web.leafs[0]
    overlay.ssh(victim, f"ip link del vni{web.vni}")
    injected = time.monotonic()
    expected = {
        ("vni_missing", web.name, victim),
        ("remote_vtep_missing", victim, other),
    }

    # the running config shows the change too (the VXLAN device is in the document)
    deviation = ("config_deviation", victim, victim)

    def one_cause() -> bool:
        found = overlay.overlay_causes()
        return (
            overlay.raised() == expected
            and len(found) == 1
            and found[0]["symptoms"] == expected | {deviation}
        )

    wait_for(
        "the removed VNI's anomalies under one root cause",
        FAULT_WAIT_S,
        one_cause,
        lambda: (overlay.raised(), overlay.overlay_causes(), overlay.evpn()),
    )
    seen = time.monotonic()
    (cause,) = overlay.overlay_causes()
    assert (cause["kind"], cause["subject"]) == ("oob_change", victim)
    missing = next(v for v in overlay.evpn()[victim]["vnis"] if v["vni"] == web.vni)
    assert missing["present"] is False

    ops = DeviceOps(overlay.graph, redis.Redis.from_url(overlay.graph.settings.redis_url))
    pushed = ops.full_push(rollout.lab_serial(victim), confirm=True, timeout=600)
    assert pushed["status"] == "succeeded", pushed
    repaired = time.monotonic()

    def cleared() -> bool:
        closed = {c["uid"] for c in overlay.causes("cleared")}
        return not overlay.raised() and cause["uid"] in closed

    wait_for(
        "the overlay anomalies and their cause cleared after the push",
        CLEAR_WAIT_S,
        cleared,
        lambda: (overlay.raised(), overlay.causes(), overlay.evpn()),
    )
    print(
        f"\noverlay fault seen under one cause {seen - injected:.1f} s after the fault, "
        f"cleared {time.monotonic() - repaired:.1f} s after the push"
    )
    states = overlay.states()
    assert {states[a] for a in expected} == {"cleared"}
    assert not overlay.overlay_causes()
    assert as_observed(overlay.evpn()[victim], base) == intended(base)[victim]
