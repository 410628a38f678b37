"""Every fault kind on 5-stage and collapsed fabrics: the same anomalies and exactly one
root cause, as on 3-stage (real Neo4j and Redis; collectors' reports simulated from
intent by ``fabric_state``, so no lab is needed).

lab5::

      superspine1 (plane 1)               superspine2 (plane 2)
         |          \\________   ________/        |
      pod1-spine1  pod1-spine2 X  pod2-spine1  pod2-spine2
         |   \\     /   |       / \\   |   \\     /   |
      rack1-leaf1  rack1-leaf2      rack2-leaf1  rack2-leaf2  (+ dual-homed servers)

lab-collapsed: rack1-leaf1 --- rack1-leaf2, two dual-homed servers.

Expected anomalies are derived from the design (links, sessions, transceivers).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import redis

from blueprint_engine.design.model import Link, LinkRole, Role
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import Settings
from telemetry.ingest import ingest
from tests.integration.telemetry import fabric_state as fs
from tests.integration.telemetry.test_engine_scenarios import (
    OPEN_CAUSES,
    Anomaly,
    Clock,
    check_fault,
    link_down,
    raised,
    session_down,
)

pytestmark = pytest.mark.integration

Fab = tuple[fs.Fabric, fs.Facts, Clock]


def _deployed(graph: Graph, rclient: redis.Redis, template: str) -> Iterator[Fab]:
    with fs.deployed_fabric(graph, template) as fabric:
        facts = fs.healthy(fabric)
        clock = Clock()
        result = ingest(graph, rclient, fs.observations(fabric, facts, clock.now - 3600))
        assert result.changed == len(facts) and result.anomalies_raised == []
        yield fabric, facts, clock


@pytest.fixture(scope="module")
def rclient(settings: Settings) -> Iterator[redis.Redis]:
    r = redis.Redis.from_url(settings.redis_url)
    yield r
    r.close()


@pytest.fixture(scope="module")
def five(graph: Graph, rclient: redis.Redis) -> Iterator[Fab]:
    yield from _deployed(graph, rclient, "lab5")


@pytest.fixture(scope="module")
def collapsed(graph: Graph, rclient: redis.Redis) -> Iterator[Fab]:
    yield from _deployed(graph, rclient, "lab-collapsed")


def _links(fab: fs.Fabric, role: LinkRole) -> list[Link]:
    return [lk for lk in fab.design.links if lk.role == role]


def _offline(fab: fs.Fabric, dev: str) -> set[Anomaly]:
    expected: set[Anomaly] = {("device_unavailable", dev, dev)}
    for s in fab.sessions_of(dev):
        peer = s.b if s.a == dev else s.a
        expected |= session_down(s, ends=(peer,))
    for lk in fab.links_of(dev):
        for end in (lk.a, lk.b):
            peer = fab.iface(end).system
            if peer != dev and fab.role(peer) != Role.SERVER:  # servers run no LLDP
                expected.add(("cabling", end, peer))
    return expected


def test_a_healthy_five_stage_fabric_raises_nothing(graph: Graph, five: Fab) -> None:
    fab, _, _ = five
    assert raised(graph, fab.bp, faults_only=False) == set()


def test_a_cut_superspine_cable_is_one_cause(graph: Graph, rclient: redis.Redis, five: Fab) -> None:
    fab, healthy, _ = five
    link = _links(fab, LinkRole.SUPERSPINE_SPINE)[0]
    faulty = fs.cable_cut(fab, healthy, link.id)
    check_fault(graph, rclient, five, faulty, link_down(fab, link.id), "cable_cut", link.id)


def test_a_failed_superspine_transceiver_is_one_cause(
    graph: Graph, rclient: redis.Redis, five: Fab
) -> None:
    fab, healthy, _ = five
    link = _links(fab, LinkRole.SUPERSPINE_SPINE)[-1]
    xcvr = fab.transceiver_of(link.a)
    assert xcvr is not None
    expected = link_down(fab, link.id) | {("transceiver_fault", xcvr, fab.iface(link.a).system)}
    faulty = fs.transceiver_fail(fab, healthy, link.a)
    check_fault(graph, rclient, five, faulty, expected, "transceiver_fault", xcvr)


def test_swapped_superspine_cables_are_one_cabling_mistake(
    graph: Graph, rclient: redis.Redis, five: Fab
) -> None:
    fab, healthy, _ = five
    l1, l2 = [
        lk
        for lk in _links(fab, LinkRole.SUPERSPINE_SPINE)
        if fab.iface(lk.a).system == "superspine1"
    ]
    expected = {("cabling", end, fab.iface(end).system) for end in (l1.a, l1.b, l2.a, l2.b)}
    for s in fab.sessions_over(l1.id) + fab.sessions_over(l2.id):
        expected |= session_down(s)
    faulty = fs.swap_cables(fab, healthy, l1.id, l2.id)
    check_fault(graph, rclient, five, faulty, expected, "cabling_mistake", min(l1.id, l2.id))


@pytest.mark.parametrize("dev", ["superspine1", "pod2-spine1"])
def test_an_offline_superspine_or_pod_spine_explains_what_its_peers_lost(
    graph: Graph, rclient: redis.Redis, five: Fab, dev: str
) -> None:
    fab, healthy, _ = five
    faulty = fs.device_offline(fab, healthy, dev)
    check_fault(graph, rclient, five, faulty, _offline(fab, dev), "device_offline", dev)


def test_an_out_of_band_change_on_a_superspine(
    graph: Graph, rclient: redis.Redis, five: Fab
) -> None:
    fab, healthy, _ = five
    dev = "superspine2"
    session = fab.sessions_of(dev)[0]
    faulty = fs.oob_change(fab, healthy, dev)
    fs._session_down(fab, faulty, session)
    expected = {("config_deviation", dev, dev)} | session_down(session)
    check_fault(graph, rclient, five, faulty, expected, "oob_change", dev)


def test_a_cut_leaf_leaf_cable_of_a_collapsed_fabric_is_one_cause(
    graph: Graph, rclient: redis.Redis, collapsed: Fab
) -> None:
    fab, healthy, _ = collapsed
    assert raised(graph, fab.bp, faults_only=False) == set()
    [link] = _links(fab, LinkRole.LEAF_LEAF)
    faulty = fs.cable_cut(fab, healthy, link.id)
    check_fault(graph, rclient, collapsed, faulty, link_down(fab, link.id), "cable_cut", link.id)


def test_an_offline_leaf_of_a_collapsed_fabric_is_one_cause(
    graph: Graph, rclient: redis.Redis, collapsed: Fab
) -> None:
    fab, healthy, _ = collapsed
    dev = "rack1-leaf2"
    faulty = fs.device_offline(fab, healthy, dev)
    check_fault(graph, rclient, collapsed, faulty, _offline(fab, dev), "device_offline", dev)


def test_servers_below_a_cut_superspine_cable_are_in_the_evidence(
    graph: Graph, rclient: redis.Redis, five: Fab
) -> None:
    """superspine1 -- pod1-spine1 cut: rack1's two dual-homed servers keep their paths
    through pod1-spine2 (plane 2) and lose the two through pod1-spine1: 2 leafs x 2
    spines x 1 superspine each = 4 paths, 2 lost."""
    fab, healthy, clock = five
    link = next(
        lk
        for lk in _links(fab, LinkRole.SUPERSPINE_SPINE)
        if fab.iface(lk.b).system == "pod1-spine1"
    )
    faulty = fs.cable_cut(fab, healthy, link.id)
    ingest(graph, rclient, fs.observations(fab, fs.changed(healthy, faulty), clock.tick()))
    try:
        rows = graph.read(OPEN_CAUSES, bp=fab.bp)
        [cause] = rows
        impacted = {i["server"]: i for i in json.loads(cause["evidence"])["impacted_servers"]}
        assert set(impacted) == {"rack1-server1", "rack1-server2"}
        for row in impacted.values():
            assert (row["paths"], row["lost"], row["status"]) == (4, 2, "redundancy_lost")
    finally:
        ingest(graph, rclient, fs.observations(fab, fs.changed(faulty, healthy), clock.tick()))
        clock.tick(120.0)
    assert raised(graph, fab.bp) == set()
