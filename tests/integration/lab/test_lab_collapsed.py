"""A collapsed fabric (`lab-collapsed`) deployed end to end on the real lab.

      rack1-leaf1 ------------ rack1-leaf2     one leaf-leaf link, one eBGP session;
          |      \\          /      |          no spine
          |        \\      /        |
      rack1-server1        rack1-server2       both dual-homed (routed /31s)

Expectations come from the blueprint's cabling (``read_cabling``), not from the engine.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from blueprint_engine.design.model import LinkRole, Role
from blueprint_engine.design.reader import read_cabling
from blueprint_engine.graph.db import Graph
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

pytestmark = [pytest.mark.lab, pytest.mark.integration]


@pytest.fixture(scope="module")
def fabric(graph: Graph) -> Iterator[LabFabric]:
    with lab_blueprint(graph, "t-labc", "lab-collapsed") as (blueprints, lab, bp):
        rollout.deploy_all(blueprints, bp, report=lambda _: None)
        rollout.wait_bgp(blueprints, bp, expected=fabric_session_ends(graph, bp), timeout=90)
        f = LabFabric(blueprints, lab, bp, Cabling(read_cabling(graph, bp)))
        f.wait_rounds(2)
        _wait_clear(f, "the freshly deployed collapsed fabric")
        yield f


def test_the_leaf_pair_session_is_up_and_the_servers_reach_each_other(
    fabric: LabFabric,
) -> None:
    design = fabric.cabling.design
    mesh = [lk for lk in design.links if lk.role == LinkRole.LEAF_LEAF]
    state = rollout.bgp_state(fabric.blueprints, fabric.bp)
    assert sum(len(peers) for peers in state.values()) == 2 * len(mesh) == 2
    assert all(all(peers.values()) for peers in state.values())
    servers = [s.id for s in design.systems if s.role == Role.SERVER]
    pairs = list(itertools.permutations(servers, 2))
    eventually(lambda: all(fabric.lab.ping(a, b) for a, b in pairs), timeout=60)


def test_a_cut_leaf_leaf_cable_has_one_root_cause_and_servers_still_reach_each_other(
    fabric: LabFabric,
) -> None:
    link = next(lk for lk in fabric.cabling.fabric_links() if lk.role == LinkRole.LEAF_LEAF)
    node, port = link.a.split(":")
    fabric.lab.cable_cut(node, port)
    cause = _check_fault(fabric, "cable_cut", expect.cable_cut(fabric.cabling, link))
    assert cause["subject"] == link.id
    servers = [s.id for s in fabric.cabling.design.systems if s.role == Role.SERVER]
    pairs = list(itertools.permutations(servers, 2))
    eventually(lambda: all(fabric.lab.ping(a, b) for a, b in pairs), timeout=60)
    _repaired(fabric, cause)
