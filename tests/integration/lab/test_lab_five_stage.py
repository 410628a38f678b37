"""A 5-stage fabric (`lab5`) deployed end to end on the real lab, through the workers.

      superspine1 (plane 1)                 superspine2 (plane 2)
         |            \\________   ________/        |
      pod1-spine1   pod1-spine2 \\ /  pod2-spine1   pod2-spine2
         |   \\       /   |        X       |   \\      /   |
      rack1-leaf1  rack1-leaf2   / \\   rack2-leaf1  rack2-leaf2
          \\   /  \\   /                     \\   /  \\   /
      rack1-server1 rack1-server2       rack2-server1 rack2-server2
           (pod1)                            (pod2)

Spine i of each pod is in plane i: one link to the superspine of that plane. ASNs per
RFC 7938: one for the superspines, one per pod's spines, one per leaf. Expectations
come from the blueprint's cabling (``read_cabling``), not from the engine.

In file order: every session up and servers of different pods reach each other; a
superspine drained (deny route-maps, seed 001) keeps every server reachable while
no leaf routes through it, then deployed again; the same for a pod spine; a cut cable
between a pod spine and its superspine is explained by exactly one root cause.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from blueprint_engine.design.model import BlueprintDesign, LinkRole, Role
from blueprint_engine.design.reader import read_cabling
from blueprint_engine.devices.lifecycle import Event
from blueprint_engine.devices.registry import Devices
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import Settings
from lab import Lab
from labharness import rollout
from tests.integration.lab.helpers import eventually, fabric_session_ends, lab_blueprint
from tests.integration.telemetry import lab_expectations as expect
from tests.integration.telemetry.lab_expectations import Cabling
from tests.integration.telemetry.test_lab_faults import (
    LabFabric,
    _check_fault,
    _repaired,
    _wait_clear,
)
from workers.device_ops import DeviceOps
from workers.drivers import open_driver

pytestmark = [pytest.mark.lab, pytest.mark.integration]

REACH_TIMEOUT_S = 60.0


@pytest.fixture(scope="module")
def fabric(graph: Graph) -> Iterator[LabFabric]:
    with lab_blueprint(graph, "t-lab5", "lab5") as (blueprints, lab, bp):
        rollout.deploy_all(blueprints, bp, report=lambda _: None)
        rollout.wait_bgp(blueprints, bp, expected=fabric_session_ends(graph, bp), timeout=90)
        f = LabFabric(blueprints, lab, bp, Cabling(read_cabling(graph, bp)))
        f.wait_rounds(2)
        _wait_clear(f, "the freshly deployed 5-stage fabric")
        yield f


@pytest.fixture(scope="module")
def ops(graph: Graph, settings: Settings) -> DeviceOps:
    return DeviceOps(graph, redis.Redis.from_url(settings.redis_url))


def _servers(design: BlueprintDesign) -> list[tuple[str, str]]:
    """(server, pod) of every server."""
    return [(s.id, str(s.pod)) for s in design.systems if s.role == Role.SERVER]


def _cross_pod_pairs(design: BlueprintDesign) -> list[tuple[str, str]]:
    return [
        (a, b)
        for (a, pod_a), (b, pod_b) in itertools.permutations(_servers(design), 2)
        if pod_a != pod_b
    ]


def _all_reach(lab: Lab, pairs: list[tuple[str, str]]) -> bool:
    return all(lab.ping(a, b) for a, b in pairs)


def _next_hops(f: LabFabric, switch: str, prefix: str) -> set[str]:
    """The next hops ``switch`` installs for ``prefix`` (BGP routes)."""
    device: Any = open_driver(Devices(f.graph).get(rollout.lab_serial(switch)))
    try:
        routes = device.get_route_to(destination=prefix, protocol="bgp")
    finally:
        device.close()
    return {hop["next_hop"] for hop in routes.get(prefix, []) if hop["current_active"]}


def _address_towards(c: Cabling, upper: str, lower: str) -> str:
    """``upper``'s address on the link between ``upper`` and ``lower``."""
    link = next(
        lk for lk in c.design.links if {c.system_of(lk.a), c.system_of(lk.b)} == {upper, lower}
    )
    end = link.a if c.system_of(link.a) == upper else link.b
    return c.address(end)


def test_every_session_is_up_and_servers_in_different_pods_reach_each_other(
    fabric: LabFabric,
) -> None:
    design = fabric.cabling.design
    state = rollout.bgp_state(fabric.blueprints, fabric.bp)
    ends = 2 * sum(
        1 for lk in design.links if lk.role in (LinkRole.SUPERSPINE_SPINE, LinkRole.SPINE_LEAF)
    )
    assert sum(len(peers) for peers in state.values()) == ends
    assert all(all(peers.values()) for peers in state.values())
    pairs = _cross_pod_pairs(design)
    assert pairs
    eventually(lambda: _all_reach(fabric.lab, pairs), timeout=REACH_TIMEOUT_S)


def _drain_keeps_reachability(
    f: LabFabric, ops: DeviceOps, drained: str, leaf: str, spine: str
) -> None:
    """Drain ``drained``: every server keeps reaching the other pod's, and ``leaf``'s
    routes to the other pod stop using ``spine`` (``drained`` or the spine above it);
    then deploy it again and ECMP over both of the leaf's spines returns."""
    design = f.cabling.design
    pairs = _cross_pod_pairs(design)
    leaf_pod = next(s.pod for s in design.systems if s.id == leaf)
    target = next(s for s in design.systems if s.role == Role.SERVER and s.pod != leaf_pod)
    prefix = str(target.loopback)
    via_spine = _address_towards(f.cabling, spine, leaf)
    assert via_spine in eventually(lambda: _next_hops(f, leaf, prefix), timeout=30)

    serial = rollout.lab_serial(drained)
    _, result = ops.event(serial, Event.DRAIN)
    assert result is not None and result["status"] in ("succeeded", "none"), result
    # the deny route-maps withdraw every route through the drained switch
    eventually(
        lambda: (hops := _next_hops(f, leaf, prefix)) and via_spine not in hops,
        timeout=REACH_TIMEOUT_S,
    )
    assert _all_reach(f.lab, pairs)
    # a drain keeps the sessions established (only advertisements stop)
    state = rollout.bgp_state(f.blueprints, f.bp)
    assert all(state[drained].values()), state[drained]

    _, back = ops.event(serial, Event.DEPLOY)
    assert back is not None and back["status"] in ("succeeded", "none"), back
    eventually(lambda: via_spine in _next_hops(f, leaf, prefix), timeout=REACH_TIMEOUT_S)
    eventually(lambda: _all_reach(f.lab, pairs), timeout=REACH_TIMEOUT_S)
    _wait_clear(f, f"after deploying {drained} again")


def test_a_drained_superspine_carries_no_traffic_and_every_server_stays_reachable(
    fabric: LabFabric, ops: DeviceOps
) -> None:
    """superspine1 is plane 1: pod1-spine1 is its only way out of pod1, so rack1-leaf1
    stops routing to pod2 through pod1-spine1 and uses pod1-spine2 (plane 2) alone."""
    _drain_keeps_reachability(fabric, ops, "superspine1", "rack1-leaf1", "pod1-spine1")


def test_a_drained_pod_spine_carries_no_traffic_and_every_server_stays_reachable(
    fabric: LabFabric, ops: DeviceOps
) -> None:
    _drain_keeps_reachability(fabric, ops, "pod2-spine2", "rack2-leaf1", "pod2-spine2")


def test_a_drained_then_undeployed_superspine_loses_its_sessions_and_nobody_their_reach(
    fabric: LabFabric, ops: DeviceOps
) -> None:
    """Seed 001: drain first, then undeploy (the rendered config removed): superspine2's
    sessions go down, plane 1 carries every pod-to-pod path; deployed again, all is up."""
    pairs = _cross_pod_pairs(fabric.cabling.design)
    serial = rollout.lab_serial("superspine2")
    for event in (Event.DRAIN, Event.UNDEPLOY):
        _, result = ops.event(serial, event)
        assert result is not None and result["status"] in ("succeeded", "none"), (event, result)

    c = fabric.cabling
    # (spine, superspine2's address on their link) for every link of superspine2
    ends = [
        (c.system_of(lk.b), c.address(lk.a))
        for lk in c.fabric_links()
        if c.system_of(lk.a) == "superspine2"
    ]
    assert ends

    def sessions_of_superspine2_down() -> bool:
        state = rollout.bgp_state(fabric.blueprints, fabric.bp)
        spines_see_it_down = all(not state[spine].get(ip, False) for spine, ip in ends)
        return spines_see_it_down and not any(state["superspine2"].values())

    eventually(sessions_of_superspine2_down, timeout=REACH_TIMEOUT_S)
    eventually(lambda: _all_reach(fabric.lab, pairs), timeout=REACH_TIMEOUT_S)
    _, back = ops.event(serial, Event.DEPLOY)
    assert back is not None and back["status"] in ("succeeded", "none"), back
    rollout.wait_bgp(
        fabric.blueprints,
        fabric.bp,
        expected=fabric_session_ends(fabric.graph, fabric.bp),
        timeout=90,
    )
    _wait_clear(fabric, "after deploying superspine2 again")


def test_a_cut_cable_between_a_pod_spine_and_its_superspine_has_one_root_cause(
    fabric: LabFabric,
) -> None:
    link = next(lk for lk in fabric.cabling.fabric_links() if lk.role == LinkRole.SUPERSPINE_SPINE)
    node, port = link.b.split(":")  # the pod spine's end
    fabric.lab.cable_cut(node, port)
    cause = _check_fault(fabric, "cable_cut", expect.cable_cut(fabric.cabling, link))
    assert cause["subject"] == link.id
    pairs = _cross_pod_pairs(fabric.cabling.design)
    eventually(lambda: _all_reach(fabric.lab, pairs), timeout=REACH_TIMEOUT_S)
    _repaired(fabric, cause)
