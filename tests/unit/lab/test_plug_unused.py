"""Which switch ports of the lab are unused, and what ``plug_unused`` refuses (before it
touches anything)::

    spine1 swp3 swp4   spine2 swp3 swp4   leaf1 swp4   (no cable: unused)
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lab.errors import UnknownLabObjectError
from lab.faults import plug_unused, unused_ports
from lab.state import LabState
from lab.topology import Endpoint, parse_topology
from tests.unit.lab.replay import FIXTURES


def fabric() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "lab_fabric" / "topology.json").read_text())
    return data


def initial_cabling(data: dict[str, Any]) -> list[list[str | None]]:
    return [[link["a"], link["b"]] for link in data["links"]]


def test_the_unused_ports_are_the_switch_ports_without_a_link() -> None:
    data = fabric()
    free = unused_ports(parse_topology(data), initial_cabling(data))
    assert [str(e) for e in free] == [
        "spine1:swp3",
        "spine1:swp4",
        "spine2:swp3",
        "spine2:swp4",
        "leaf1:swp4",
    ]


def test_a_cut_cable_keeps_its_ports_cabled_and_a_plugged_port_is_no_longer_unused() -> None:
    data = fabric()
    cabling = [p for p in initial_cabling(data) if p != ["spine1:swp1", "leaf1:swp1"]]
    cabling += [["spine1:swp1", None], ["leaf1:swp1", None], ["spine1:swp3", "leaf1:swp4"]]
    free = unused_ports(parse_topology(data), cabling)
    assert [str(e) for e in free] == ["spine1:swp4", "spine2:swp3", "spine2:swp4"]


@pytest.mark.parametrize(
    ("end1", "end2"),
    [
        ("spine1:swp1", "spine2:swp3"),  # cabled
        ("spine1:swp3", "spine1:swp3"),  # one port
        ("spine1:swp3", "server2:eth0"),  # a server's port
    ],
)
def test_plugging_anything_but_two_unused_switch_ports_is_refused(end1: str, end2: str) -> None:
    data = fabric()
    state = LabState(name="t", topology=data, cabling=initial_cabling(data))
    with pytest.raises(UnknownLabObjectError, match="cannot plug") as refused:
        plug_unused(state, Endpoint(*end1.split(":")), Endpoint(*end2.split(":")))
    assert "spine1:swp3, spine1:swp4, spine2:swp3, spine2:swp4, leaf1:swp4" in str(refused.value)
    assert state.faults == [] and state.cabling == initial_cabling(data)
