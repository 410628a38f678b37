"""Pure link-state and impacted-server rules of the topology page (no I/O)."""

from __future__ import annotations

from typing import Any

from api.topology import SERVER_EFFECTS, VM_EFFECTS, impacted, link_states

LINKS = [
    {"id": "spine1:swp1--leaf1:swp1"},
    {"id": "spine1:swp2--leaf2:swp1"},
    {"id": "leaf1:swp3--server1:eth0"},
    {"id": "leaf2:swp3--server2:eth0"},
]


def test_interface_level_anomaly_puts_its_link_down_a_bgp_one_degrades_it() -> None:
    anomalies = [
        {"type": "transceiver_fault", "link": "leaf1:swp3--server1:eth0"},
        {"type": "bgp_session_down", "link": "spine1:swp2--leaf2:swp1"},
    ]
    states = link_states(LINKS, anomalies, [], observed={"spine1:swp1--leaf1:swp1"})
    assert states == {
        "spine1:swp1--leaf1:swp1": "up",
        "spine1:swp2--leaf2:swp1": "degraded",
        "leaf1:swp3--server1:eth0": "down",
        "leaf2:swp3--server2:eth0": "unknown",
    }


def test_expected_anomalies_do_not_colour_links_and_root_causes_do() -> None:
    anomalies = [{"type": "interface_down", "link": "spine1:swp1--leaf1:swp1", "expected": True}]
    causes = [{"link": "leaf2:swp3--server2:eth0"}]
    states = link_states(LINKS, anomalies, causes, observed=set())
    assert states["spine1:swp1--leaf1:swp1"] == "unknown"
    assert states["leaf2:swp3--server2:eth0"] == "down"


def test_impacted_servers_and_vms_are_those_depending_on_open_root_cause_elements() -> None:
    causes: list[dict[str, Any]] = [{"at": "dc/leaf1:swp3:xcvr"}, {"at": None}]
    deps = {
        "dc/leaf1:swp3:xcvr": [
            {"kind": "link", "id": "leaf1:swp3--server1:eth0"},
            {"kind": "server_losing_connectivity", "id": "server1"},
            {"kind": "vm_losing_connectivity", "id": "kvm/web1"},
        ],
        "dc/other": [
            {"kind": "server", "id": "server9"},
            {"kind": "vm_losing_redundancy", "id": "x"},
        ],
    }
    assert impacted(causes, deps, ("server", *SERVER_EFFECTS)) == ["server1"]
    assert impacted(causes, deps, VM_EFFECTS) == ["kvm/web1"]
