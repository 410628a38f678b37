"""The lab topology document and what the lab derives from it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lab.errors import TopologyError
from lab.topology import Endpoint, netns_name, parse_topology, veth_names
from lab.transceivers import (
    FAILED_RX_POWER_DBM,
    RX_POWER_RANGE_DBM,
    failed_transceiver,
    switch_transceivers,
)
from tests.unit.lab.replay import FIXTURES


def fabric() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "lab_fabric" / "topology.json").read_text())
    return data


def test_the_fabric_topology_parses_into_switches_servers_and_links() -> None:
    """
    spine1   spine2
      |  \\  /  |
      |   \\/   |
    leaf1 -- leaf2      server1 dual-homed, server2 on leaf2
    """
    topo = parse_topology(fabric())
    assert [n.name for n in topo.switches()] == ["spine1", "spine2", "leaf1", "leaf2"]
    assert topo.node("server1").port_names == ("eth0", "eth1")
    assert topo.link_at("server1", "eth1").a == Endpoint("leaf2", "swp3")
    assert topo.node("leaf1").netns == netns_name("leaf1") == "fg-leaf1"


def mutate(path: str, value: Any) -> dict[str, Any]:
    data = fabric()
    target: Any = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        ("links.0", {"a": "spine9:swp1", "b": "leaf1:swp1"}, "unknown node 'spine9'"),
        ("links.0", {"a": "spine1:swp9", "b": "leaf1:swp1"}, "unknown port spine1:swp9"),
        ("links.1", {"a": "spine1:swp1", "b": "leaf2:swp1"}, "cabled twice"),
        ("links.0", {"a": "spine1", "b": "leaf1:swp1"}, "is not 'node:port'"),
        ("nodes.0.kind", "router", "has kind 'router'"),
        ("nodes.1.name", "spine1", "duplicate node name"),
        ("nodes.0.ports", ["swp1", "a-very-long-port-name"], "port name"),
        ("nodes.4.interfaces.0.gateway", "10.9.0.0", "outside 10.2.0.1/31"),
        ("nodes.4.host_address", "10.3.0.1", "no prefix length"),
    ],
)
def test_a_bad_topology_is_refused_naming_the_offending_item(
    path: str, value: Any, reason: str
) -> None:
    with pytest.raises(TopologyError, match=reason):
        parse_topology(mutate(path, value))


def test_temporary_veth_names_are_short_and_unique() -> None:
    names = [name for index in range(200) for name in veth_names(index)]
    assert len(set(names)) == len(names)
    assert max(len(n) for n in names) <= 15


def test_every_switch_port_gets_a_transceiver_reading_within_range() -> None:
    modules = switch_transceivers("leaf1", ["swp1", "swp2"])
    low, high = RX_POWER_RANGE_DBM
    for module in modules.values():
        assert module["simulated"] is True
        assert all(low <= lane["rx_power_dbm"] <= high for lane in module["lanes"])
    assert modules["swp1"]["serial"] != modules["swp2"]["serial"]
    assert switch_transceivers("leaf1", ["swp1"])["swp1"] == modules["swp1"]


def test_a_failed_transceiver_reads_far_below_the_receive_range() -> None:
    module = switch_transceivers("leaf1", ["swp1"])["swp1"]
    failed = failed_transceiver(module)
    assert failed["failed"] is True
    assert all(lane["rx_power_dbm"] == FAILED_RX_POWER_DBM for lane in failed["lanes"])
    assert RX_POWER_RANGE_DBM[0] - 20 > FAILED_RX_POWER_DBM
    assert failed["serial"] == module["serial"]
