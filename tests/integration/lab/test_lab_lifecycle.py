"""The device lifecycle on the real lab: Celery workers push each stage through NAPALM.

The `lab` blueprint, built into FRR namespaces:

      spine1              spine2            every leaf: one eBGP session per spine
       |  \\  \\  \\       / / /  |
      rack1-leaf1  rack2-leaf1  rack3-leaf1  rack3-leaf2
         |            |             \\   /  \\  /
      rack1-server1  rack2-server1  rack3-server1 rack3-server2

Expectations come from the blueprint (its fabric links), not from the engine.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.model import LinkRole, Role
from blueprint_engine.design.reader import read_cabling
from blueprint_engine.devices.lifecycle import Event
from blueprint_engine.devices.registry import Devices
from blueprint_engine.errors import TransitionError
from blueprint_engine.graph.db import Graph
from lab import Lab
from labharness import rollout
from tests.integration.lab.helpers import lab_blueprint
from workers.drivers import open_driver

pytestmark = [pytest.mark.lab, pytest.mark.integration]


@pytest.fixture(scope="module")
def deployed(graph: Graph) -> Iterator[tuple[Blueprints, Lab, str]]:
    with lab_blueprint(graph, "t-life") as fixture:
        yield fixture


def test_registered_devices_are_quarantined_and_cannot_be_deployed(
    deployed: tuple[Blueprints, Lab, str],
) -> None:
    blueprints, _, _ = deployed
    devices = Devices(blueprints.graph)
    device = devices.get(rollout.lab_serial("spine1"))
    assert str(device.record.state) == "OOS-QUARANTINED"
    assert "frr" in devices.configs(device.record.device_id)["pristine"]
    with pytest.raises(TransitionError) as err:
        devices.event(device.record.device_id, Event.DEPLOY)
    assert "OOS-QUARANTINED" in err.value.message and "acknowledge" in err.value.allowed


def test_deploying_the_blueprint_establishes_every_bgp_session_and_servers_reach_each_other(
    deployed: tuple[Blueprints, Lab, str],
) -> None:
    blueprints, lab, bp = deployed
    rollout.deploy_all(blueprints, bp, report=lambda _: None)
    design = read_cabling(blueprints.graph, bp)
    fabric_links = [link for link in design.links if link.role == LinkRole.SPINE_LEAF]
    rollout.wait_bgp(blueprints, bp, expected=2 * len(fabric_links), timeout=60)
    state = rollout.bgp_state(blueprints, bp)
    assert sum(len(peers) for peers in state.values()) == 2 * len(fabric_links)
    assert all(all(peers.values()) for peers in state.values())
    servers = [s.id for s in design.systems if s.role == Role.SERVER]
    for a, b in itertools.permutations(servers, 2):
        assert lab.ping(a, b), f"{a} cannot reach {b}"


def test_after_deploy_every_switch_is_active_with_golden_equal_to_running(
    deployed: tuple[Blueprints, Lab, str],
) -> None:
    blueprints, _, bp = deployed
    devices = Devices(blueprints.graph)
    for system, _ in rollout.switches(blueprints, bp):
        device = devices.get(rollout.lab_serial(system))
        assert (str(device.record.state), str(device.record.deploy_mode)) == ("IS-ACTIVE", "deploy")
        configs = devices.configs(device.record.device_id)
        assert {"pristine", "discovery1", "discovery2", "service", "golden"} <= set(configs)
        driver: Any = open_driver(device)
        try:
            assert driver.get_config(retrieve="running")["running"] == configs["golden"]
            # the running config is exactly the rendered service stage
            driver.load_replace_candidate(config=configs["service"])
            assert driver.compare_config() == ""
            driver.discard_config()
        finally:
            driver.close()
