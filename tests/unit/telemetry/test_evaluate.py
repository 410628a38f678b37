"""Intent versus observation, without I/O: which expectations break, hold or are unknown."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from telemetry.evaluate import (
    LLDP_GRACE_S,
    AnomalyType,
    InterfaceFacts,
    Managed,
    PeerEnd,
    SessionEnd,
    SessionFacts,
    Verdict,
    evaluate_interface,
    evaluate_session,
    evaluate_system,
)

UP = {"oper_up": True, "admin_up": True}
REACHABLE = {"reachable": True, "hostname": "leaf1"}


def leaf(**kw: Any) -> Managed:
    base = Managed(
        "leaf1",
        "leaf1",
        mode="deploy",
        deviation="none",
        device_obs=REACHABLE,
        config_obs={"deviated": False, "last_deploy": "succeeded"},
        daemons_obs={"running": True, "down": None, "restarted": None},
    )
    return replace(base, **kw)


def by_type(verdicts: list[Verdict]) -> dict[AnomalyType, Verdict]:
    return {v.type: v for v in verdicts}


def test_a_healthy_deployed_switch_breaks_nothing() -> None:
    assert all(v.broken is False for v in evaluate_system(leaf()))


def test_an_unreachable_switch_is_unavailable_and_its_hostname_unknown() -> None:
    v = by_type(evaluate_system(leaf(device_obs={"reachable": False, "hostname": None})))
    assert v[AnomalyType.DEVICE_UNAVAILABLE].broken is True
    assert v[AnomalyType.HOSTNAME_MISMATCH].broken is None


def test_hostname_deviation_and_failed_deploy_are_broken() -> None:
    m = leaf(
        device_obs={"reachable": True, "hostname": "switch-7"},
        config_obs={"deviated": True, "last_deploy": "failed"},
    )
    v = by_type(evaluate_system(m))
    assert v[AnomalyType.HOSTNAME_MISMATCH].broken is True
    assert v[AnomalyType.CONFIG_DEVIATION].broken is True
    assert v[AnomalyType.DEPLOYMENT_FAILURE].broken is True
    assert v[AnomalyType.CONFIG_DEVIATION].suppressed is False


def test_a_routing_daemon_not_running_is_broken_and_unknown_when_unreachable() -> None:
    v = by_type(evaluate_system(leaf(daemons_obs={"running": False, "down": "bgpd"})))
    assert v[AnomalyType.ROUTING_DAEMON_DOWN].broken is True
    assert "bgpd" in v[AnomalyType.ROUTING_DAEMON_DOWN].summary
    gone = leaf(device_obs={"reachable": False, "hostname": None})
    assert by_type(evaluate_system(gone))[AnomalyType.ROUTING_DAEMON_DOWN].broken is None
    unseen = by_type(evaluate_system(leaf(daemons_obs=None)))
    assert unseen[AnomalyType.ROUTING_DAEMON_DOWN].broken is None  # a driver without it


def test_a_routing_daemon_restarted_after_a_crash_is_down_until_its_hold_ends() -> None:
    restarted = {"running": True, "down": None, "restarted": "bgpd"}
    v = by_type(evaluate_system(leaf(daemons_obs=restarted)))[AnomalyType.ROUTING_DAEMON_DOWN]
    assert v.broken is True and "bgpd" in v.summary and "restarted" in v.summary
    healed = {"running": True, "down": None, "restarted": None}
    v = by_type(evaluate_system(leaf(daemons_obs=healed)))[AnomalyType.ROUTING_DAEMON_DOWN]
    assert v.broken is False
    stored_before = {"running": True, "down": None}  # stored before `restarted` existed
    before = by_type(evaluate_system(leaf(daemons_obs=stored_before)))
    assert before[AnomalyType.ROUTING_DAEMON_DOWN].broken is False


def test_an_accepted_deviation_is_suppressed() -> None:
    m = leaf(deviation="accepted", config_obs={"deviated": True, "last_deploy": "succeeded"})
    v = by_type(evaluate_system(m))[AnomalyType.CONFIG_DEVIATION]
    assert v.broken is True and v.suppressed is True


def test_nothing_is_expected_of_a_device_that_is_not_deployed() -> None:
    for mode in (None, "ready", "undeploy", "not_set"):
        m = leaf(mode=mode, device_obs={"reachable": False, "hostname": None})
        assert all(v.broken is False for v in evaluate_system(m)), mode


def iface(**kw: Any) -> InterfaceFacts:
    base = InterfaceFacts(
        interface="leaf1:swp1",
        name="swp1",
        owner=leaf(),
        link="spine1:swp1--leaf1:swp1",
        peer=PeerEnd("spine1:swp1", "swp1", "spine1", "spine1", "spine", has_device=True),
        iface_obs=UP,
        iface_changed_at=0.0,
        lldp_obs={"neighbor": "spine1", "port": "swp1"},
        transceiver="leaf1:swp1:xcvr",
        media="100GBASE-SR4",
        optics_obs={"present": True, "rx_power_dbm": -2.0},
    )
    return replace(base, **kw)


def test_a_healthy_linked_interface_breaks_nothing() -> None:
    assert [v.broken for v in evaluate_interface(iface(), now=100.0)] == [False] * 3


def test_a_down_interface_is_broken_and_its_missing_lldp_is_not_a_cabling_fault() -> None:
    f = iface(
        iface_obs={"oper_up": False, "admin_up": True}, lldp_obs={"neighbor": None, "port": None}
    )
    v = by_type(evaluate_interface(f, now=100.0))
    assert v[AnomalyType.INTERFACE_DOWN].broken is True
    assert v[AnomalyType.CABLING].broken is False


def test_a_wrong_lldp_neighbour_is_a_cabling_fault() -> None:
    f = iface(lldp_obs={"neighbor": "spine2", "port": "swp4"})
    v = by_type(evaluate_interface(f, now=100.0))[AnomalyType.CABLING]
    assert v.broken is True
    assert v.expected_value == {"neighbor": "spine1", "port": "swp1"}


def test_silence_on_an_up_interface_is_a_fault_only_after_the_lldp_grace() -> None:
    silent = iface(lldp_obs={"neighbor": None, "port": None}, iface_changed_at=100.0)
    early = by_type(evaluate_interface(silent, now=100.0 + LLDP_GRACE_S / 2))
    late = by_type(evaluate_interface(silent, now=100.0 + LLDP_GRACE_S))
    assert early[AnomalyType.CABLING].broken is None
    assert late[AnomalyType.CABLING].broken is True


def test_server_ports_expect_no_lldp() -> None:
    f = iface(
        peer=PeerEnd("server1:eth0", "eth0", "server1", "server1", "server", False),
        lldp_obs={"neighbor": None, "port": None},
    )
    assert by_type(evaluate_interface(f, now=1e6))[AnomalyType.CABLING].broken is False


def test_optics_out_of_range_or_absent_is_a_transceiver_fault() -> None:
    for optics in (
        {"present": True, "rx_power_dbm": -40.0},
        {"present": False, "rx_power_dbm": None},
    ):
        v = by_type(evaluate_interface(iface(optics_obs=optics), now=1.0))
        assert v[AnomalyType.TRANSCEIVER_FAULT].broken is True


def test_what_an_unreachable_switch_reported_is_unknown_not_healthy() -> None:
    f = iface(
        owner=leaf(device_obs={"reachable": False, "hostname": None}),
        iface_obs={"oper_up": False, "admin_up": True},
    )
    assert {v.broken for v in evaluate_interface(f, now=1.0)} == {None}


def test_an_interface_of_an_undeployed_switch_is_cleared() -> None:
    f = iface(owner=leaf(mode="ready"), iface_obs={"oper_up": False, "admin_up": True})
    assert {v.broken for v in evaluate_interface(f, now=1.0)} == {False}


def session(a: Managed, b: Managed, a_up: bool = True, b_up: bool = True) -> SessionFacts:
    def end(m: Managed, up: bool, loopback: str) -> SessionEnd:
        return SessionEnd(
            m, {"established": up, "state": None}, {"present": up, "prefix": loopback}, loopback
        )

    return SessionFacts(
        "spine1--leaf1", "l1", end(a, a_up, "10.0.0.3/32"), end(b, b_up, "10.0.0.1/32")
    )


SPINE = Managed(
    "spine1", "spine1", mode="deploy", device_obs={"reachable": True, "hostname": "spine1"}
)


def test_a_session_down_at_one_end_breaks_that_end_only() -> None:
    verdicts = evaluate_session(session(SPINE, leaf(), a_up=False))
    broken = {(v.type, v.device) for v in verdicts if v.broken}
    assert broken == {
        (AnomalyType.BGP_SESSION_DOWN, "spine1"),
        (AnomalyType.ROUTE_MISSING, "spine1"),
    }
    route = next(v for v in verdicts if v.type is AnomalyType.ROUTE_MISSING and v.broken)
    assert route.subject == "leaf1"  # spine1 lacks leaf1's loopback
    assert route.uid("bp") == "bp/route_missing/leaf1@spine1"


def test_a_drain_makes_bgp_and_route_anomalies_expected_at_both_ends() -> None:
    verdicts = evaluate_session(session(SPINE, leaf(mode="drain"), a_up=False, b_up=False))
    assert all(v.broken and v.expected for v in verdicts)


def test_sessions_to_an_undeployed_peer_expect_nothing() -> None:
    verdicts = evaluate_session(session(SPINE, leaf(mode="ready"), a_up=False, b_up=False))
    assert {v.broken for v in verdicts} == {False}


def test_a_device_outside_its_profiles_os_range_is_a_nos_version_mismatch() -> None:
    outside = leaf(
        os_version="4.20.15M", nos_version_ok=False, nos_version_allowed="4.28.0..4.33.99"
    )
    v = by_type(evaluate_system(outside))[AnomalyType.NOS_VERSION_MISMATCH]
    assert v.broken is True and "4.20.15M" in v.summary and "4.28.0..4.33.99" in v.summary
    undeployed = replace(outside, mode="ready")
    assert by_type(evaluate_system(undeployed))[AnomalyType.NOS_VERSION_MISMATCH].broken is True
    inside = by_type(evaluate_system(leaf(os_version="4.30.1F", nos_version_ok=True)))
    assert inside[AnomalyType.NOS_VERSION_MISMATCH].broken is False
    assert by_type(evaluate_system(leaf()))[AnomalyType.NOS_VERSION_MISMATCH].broken is False
