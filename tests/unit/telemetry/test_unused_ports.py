"""A port intent says is unused (no link) must hear nobody: carrier or an LLDP neighbour
on it is a cabling anomaly on that port::

    leaf1:swp7 (unused) <---- a cable nobody planned ----> someone:ethX
"""

from __future__ import annotations

from dataclasses import replace

from telemetry.evaluate import AnomalyType, Managed, UnusedPortFacts, evaluate_unused_port

REACHABLE = {"reachable": True, "hostname": "leaf1"}
DEPLOYED = Managed("leaf1", "leaf1", mode="deploy", deviation="none", device_obs=REACHABLE)
PORT = UnusedPortFacts("leaf1:swp7", "swp7", DEPLOYED)
DOWN = {"oper_up": False, "admin_up": False}
NOBODY = {"neighbor": None, "port": None}


def verdict(f: UnusedPortFacts) -> bool | None:
    (only,) = evaluate_unused_port(f)
    assert only.type is AnomalyType.CABLING and only.subject == "leaf1:swp7"
    return only.broken


def test_an_unused_port_that_hears_nobody_holds() -> None:
    assert verdict(replace(PORT, iface_obs=DOWN, lldp_obs=NOBODY)) is False


def test_carrier_on_an_unused_port_is_a_cabling_anomaly() -> None:
    up = {"oper_up": True, "admin_up": True}
    assert verdict(replace(PORT, iface_obs=up, lldp_obs=NOBODY)) is True


def test_an_lldp_neighbour_on_an_unused_port_is_a_cabling_anomaly_naming_it() -> None:
    seen = {"neighbor": "spine2", "port": "swp9"}
    f = replace(PORT, iface_obs=DOWN, lldp_obs=seen)
    (only,) = evaluate_unused_port(f)
    assert only.broken is True
    assert "spine2:swp9" in only.summary
    # the neighbour's port too: root-cause analysis pairs two unused ports hearing each other
    assert only.actual_value == {"neighbor": "spine2", "port": "swp9", "oper_up": False}
    assert only.expected_value == {"neighbor": None, "port": None, "oper_up": False}


def test_unknown_while_unobserved_or_the_switch_unreachable_and_never_before_deploy() -> None:
    assert verdict(PORT) is None
    gone = replace(DEPLOYED, device_obs={"reachable": False, "hostname": "leaf1"})
    assert verdict(replace(PORT, owner=gone, iface_obs={"oper_up": True})) is None
    ready = replace(DEPLOYED, mode="ready")
    assert verdict(replace(PORT, owner=ready, iface_obs={"oper_up": True})) is False
