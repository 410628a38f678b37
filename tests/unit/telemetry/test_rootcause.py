"""Root-cause grouping rules on a small fabric, without I/O.

s1          s2
| \\       / |          p1/p2: spine ports; each spine-leaf link carries
|  \\     /  |          one eBGP session "<spine>--<leaf>"
|   \\   /   |
l1    \\ /   l2
| \\    X    |
|  \\  / \\   |
v2   v1      (v1 dual-homed: l1:p3 and l2:p3; v2 single-homed: l1:p4)
"""

from __future__ import annotations

from typing import Any

from telemetry.evaluate import AnomalyType as T
from telemetry.rootcause import (
    CauseKind,
    End,
    LinkTopo,
    SessionTopo,
    Symptom,
    Topology,
    group,
)

SWITCHES = {"s1": "spine", "s2": "spine", "l1": "leaf", "l2": "leaf"}
ROLES = {**SWITCHES, "v1": "server", "v2": "server"}
LINKS = [
    ("s1:p1", "l1:p1"),
    ("s2:p1", "l1:p2"),
    ("s1:p2", "l2:p1"),
    ("s2:p2", "l2:p2"),
    ("l1:p3", "v1:e0"),
    ("l2:p3", "v1:e1"),
    ("l1:p4", "v2:e0"),
]


def end(iface: str) -> End:
    system, name = iface.split(":")
    switch = system in SWITCHES
    return End(
        iface,
        name,
        system,
        system,
        ROLES[system],
        transceiver=f"{iface}:x" if switch else None,
        monitored=switch,
    )


def topology() -> Topology:
    topo = Topology()
    for a, b in LINKS:
        topo.add_link(LinkTopo(f"{a}--{b}", "x", (end(a), end(b))))
        sa, sb = a.split(":")[0], b.split(":")[0]
        if sb in SWITCHES:
            topo.add_session(SessionTopo(f"{sa}--{sb}", sa, sb, f"{a}--{b}"))
    return topo


def link_of(a: str) -> str:
    return next(f"{x}--{y}" for x, y in LINKS if a in (x, y))


def sym(
    kind: T, subject: str, device: str, actual: dict[str, Any] | None = None, **kw: Any
) -> Symptom:
    suffix = f"@{device}" if kind in (T.BGP_SESSION_DOWN, T.ROUTE_MISSING) else ""
    return Symptom(f"bp/{kind.value}/{subject}{suffix}", kind, subject, device, actual, **kw)


DOWN = {"oper_up": False, "admin_up": True}


def link_failure(a: str, b: str) -> list[Symptom]:
    """What the topology implies when the spine-leaf link a--b goes down."""
    sa, sb = a.split(":")[0], b.split(":")[0]
    session = f"{sa}--{sb}"
    return [
        sym(T.INTERFACE_DOWN, a, sa, DOWN),
        sym(T.INTERFACE_DOWN, b, sb, DOWN),
        sym(T.BGP_SESSION_DOWN, session, sa),
        sym(T.BGP_SESSION_DOWN, session, sb),
        sym(T.ROUTE_MISSING, sb, sa),
        sym(T.ROUTE_MISSING, sa, sb),
    ]


def uids(symptoms: list[Symptom]) -> tuple[str, ...]:
    return tuple(sorted(s.uid for s in symptoms))


def impacted(cause: Any) -> dict[str, tuple[int, int, str]]:
    return {
        i["server"]: (i["lost"], i["left"], i["status"]) for i in cause.evidence["impacted_servers"]
    }


def test_a_failed_transceiver_explains_its_link_sessions_and_routes() -> None:
    symptoms = [
        sym(T.TRANSCEIVER_FAULT, "s1:p1:x", "s1", {"present": True, "rx_power_dbm": -40.0}),
        *link_failure("s1:p1", "l1:p1"),
    ]
    [cause] = group(symptoms, topology())
    assert cause.kind is CauseKind.TRANSCEIVER_FAULT
    assert cause.subject == "s1:p1:x"
    assert cause.symptoms == uids(symptoms)
    assert ("Link", link_of("s1:p1")) in cause.at
    # v1 has 4 ways in (2 leafs x 2 spines), v2 has 2 (1 leaf x 2 spines): each loses one
    assert impacted(cause) == {"v1": (1, 3, "redundancy_lost"), "v2": (1, 1, "redundancy_lost")}


def test_a_link_down_at_both_ends_with_optics_fine_is_a_cut_cable() -> None:
    symptoms = link_failure("s2:p2", "l2:p2")
    [cause] = group(symptoms, topology())
    assert (cause.kind, cause.subject) == (CauseKind.CABLE_CUT, link_of("s2:p2"))
    assert cause.symptoms == uids(symptoms)
    assert impacted(cause) == {"v1": (1, 3, "redundancy_lost")}


def test_an_offline_spine_explains_its_peers_sessions_routes_and_silent_ports() -> None:
    symptoms = [sym(T.DEVICE_UNAVAILABLE, "s1", "s1", {"reachable": False, "hostname": None})]
    for leaf, port in (("l1", "l1:p1"), ("l2", "l2:p1")):
        symptoms += [
            sym(T.BGP_SESSION_DOWN, f"s1--{leaf}", leaf),
            sym(T.ROUTE_MISSING, "s1", leaf),
            sym(T.CABLING, port, leaf, {"neighbor": None, "port": None}),
        ]
    [cause] = group(symptoms, topology())
    assert (cause.kind, cause.subject) == (CauseKind.DEVICE_OFFLINE, "s1")
    assert cause.symptoms == uids(symptoms)
    assert impacted(cause) == {"v1": (2, 2, "redundancy_lost"), "v2": (1, 1, "redundancy_lost")}


def test_two_swapped_cables_are_one_cabling_mistake_with_their_sessions() -> None:
    # s1:p1--l1:p1 and s1:p2--l2:p1 swapped: s1:p1 faces l2:p1, s1:p2 faces l1:p1
    seen = {"s1:p1": "l2:p1", "l2:p1": "s1:p1", "s1:p2": "l1:p1", "l1:p1": "s1:p2"}
    symptoms = [
        sym(
            T.CABLING,
            here,
            here.split(":")[0],
            {"neighbor": there.split(":")[0], "port": there.split(":")[1]},
        )
        for here, there in seen.items()
    ]
    for leaf in ("l1", "l2"):
        symptoms += [
            sym(T.BGP_SESSION_DOWN, f"s1--{leaf}", "s1"),
            sym(T.BGP_SESSION_DOWN, f"s1--{leaf}", leaf),
            sym(T.ROUTE_MISSING, leaf, "s1"),
            sym(T.ROUTE_MISSING, "s1", leaf),
        ]
    [cause] = group(symptoms, topology())
    assert cause.kind is CauseKind.CABLING_MISTAKE
    assert cause.symptoms == uids(symptoms)
    assert {ident for _, ident in cause.at} == {link_of("s1:p1"), link_of("s1:p2")}


def test_a_cable_between_two_unused_ports_is_one_cabling_mistake_at_both_ports() -> None:
    # s1:p9 and l2:p9 (no link in intent) plugged together and enabled: each hears the
    # other; enabling them deviates from both switches' configs (out of band)
    plug = [
        sym(T.CABLING, "s1:p9", "s1", {"neighbor": "l2", "port": "p9", "oper_up": True}),
        sym(T.CABLING, "l2:p9", "l2", {"neighbor": "s1", "port": "p9", "oper_up": True}),
    ]
    changed = [sym(T.CONFIG_DEVIATION, "s1", "s1"), sym(T.CONFIG_DEVIATION, "l2", "l2")]
    causes = group(plug + changed, topology())
    [cause] = [c for c in causes if c.kind is CauseKind.CABLING_MISTAKE]
    assert cause.symptoms == uids(plug)
    assert set(cause.at) == {("Interface", "s1:p9"), ("Interface", "l2:p9")}
    assert cause.evidence["seen"] == {"s1:p9": "l2:p9", "l2:p9": "s1:p9"}
    assert "s1:p9" in cause.summary and "l2:p9" in cause.summary
    assert {(c.kind, c.subject) for c in causes if c is not cause} == {
        (CauseKind.OOB_CHANGE, "s1"),
        (CauseKind.OOB_CHANGE, "l2"),
    }


def test_an_unused_port_hearing_a_stranger_is_a_cabling_mistake_of_its_own() -> None:
    heard = sym(T.CABLING, "s2:p9", "s2", {"neighbor": "stray", "port": "eth0", "oper_up": True})
    [cause] = group([heard], topology())
    assert (cause.kind, cause.subject, cause.at) == (
        CauseKind.CABLING_MISTAKE,
        "s2:p9",
        (("Interface", "s2:p9"),),
    )
    assert cause.evidence["seen"] == {"s2:p9": "stray:eth0"}


def test_all_leaf_ports_to_a_server_down_is_that_server_down() -> None:
    v1 = [sym(T.INTERFACE_DOWN, "l1:p3", "l1", DOWN), sym(T.INTERFACE_DOWN, "l2:p3", "l2", DOWN)]
    v2 = [sym(T.INTERFACE_DOWN, "l1:p4", "l1", DOWN)]
    causes = {c.subject: c for c in group(v1 + v2, topology())}
    assert {(c.kind, s) for s, c in causes.items()} == {
        (CauseKind.SERVER_DOWN, "v1"),
        (CauseKind.SERVER_DOWN, "v2"),
    }
    assert causes["v1"].symptoms == uids(v1)
    assert impacted(causes["v2"]) == {"v2": (2, 0, "isolated")}


def test_one_of_two_server_links_down_is_a_cut_cable_not_a_server_down() -> None:
    [cause] = group([sym(T.INTERFACE_DOWN, "l2:p3", "l2", DOWN)], topology())
    assert (cause.kind, cause.subject) == (CauseKind.CABLE_CUT, link_of("l2:p3"))
    assert impacted(cause) == {"v1": (2, 2, "redundancy_lost")}


def test_an_out_of_band_change_explains_sessions_down_over_healthy_links() -> None:
    symptoms = [
        sym(T.CONFIG_DEVIATION, "l1", "l1", {"deviated": True, "last_deploy": None}),
        sym(T.BGP_SESSION_DOWN, "s2--l1", "l1"),
        sym(T.BGP_SESSION_DOWN, "s2--l1", "s2"),
        sym(T.ROUTE_MISSING, "s2", "l1"),
        sym(T.ROUTE_MISSING, "l1", "s2"),
    ]
    [cause] = group(symptoms, topology())
    assert (cause.kind, cause.subject) == (CauseKind.OOB_CHANGE, "l1")
    assert cause.symptoms == uids(symptoms)


def test_a_failed_deployment_owns_the_deviation_it_left() -> None:
    symptoms = [sym(T.DEPLOYMENT_FAILURE, "l2", "l2"), sym(T.CONFIG_DEVIATION, "l2", "l2")]
    [cause] = group(symptoms, topology())
    assert (cause.kind, cause.symptoms) == (CauseKind.DEPLOYMENT_FAILURE, uids(symptoms))


def test_admin_down_port_with_a_deviation_is_the_change_not_a_cut() -> None:
    symptoms = [
        sym(T.CONFIG_DEVIATION, "l1", "l1"),
        sym(T.INTERFACE_DOWN, "l1:p2", "l1", {"oper_up": False, "admin_up": False}),
        sym(T.INTERFACE_DOWN, "s2:p1", "s2", DOWN),
        sym(T.BGP_SESSION_DOWN, "s2--l1", "l1"),
        sym(T.BGP_SESSION_DOWN, "s2--l1", "s2"),
    ]
    [cause] = group(symptoms, topology())
    assert (cause.kind, cause.symptoms) == (CauseKind.OOB_CHANGE, uids(symptoms))


def test_expected_and_suppressed_anomalies_are_not_faults() -> None:
    symptoms = [
        sym(T.BGP_SESSION_DOWN, "s1--l1", "s1", expected=True),
        sym(T.CONFIG_DEVIATION, "l2", "l2", suppressed=True),
    ]
    assert group(symptoms, topology()) == []


def test_independent_faults_get_one_cause_each() -> None:
    cut = link_failure("s2:p2", "l2:p2")
    offline = [sym(T.DEVICE_UNAVAILABLE, "s1", "s1"), sym(T.BGP_SESSION_DOWN, "s1--l1", "l1")]
    causes = group(cut + offline, topology())
    assert sorted((c.kind, c.symptoms) for c in causes) == sorted(
        [(CauseKind.CABLE_CUT, uids(cut)), (CauseKind.DEVICE_OFFLINE, uids(offline))]
    )
    # with s1 offline and s2--l2 cut, v1 still has l1 -> s2; v2 keeps l1 -> s2
    by_kind = {c.kind: impacted(c) for c in causes}
    assert by_kind[CauseKind.CABLE_CUT] == {"v1": (1, 1, "redundancy_lost")}


def test_an_offline_switch_also_explains_what_it_reported_while_going_down() -> None:
    # bgpd stopped first: l2 reported its sessions down, then stopped answering
    symptoms = [
        sym(T.DEVICE_UNAVAILABLE, "l2", "l2"),
        sym(T.BGP_SESSION_DOWN, "s1--l2", "l2"),
        sym(T.BGP_SESSION_DOWN, "s1--l2", "s1"),
        sym(T.ROUTE_MISSING, "s1", "l2"),
        sym(T.ROUTE_MISSING, "l2", "s1"),
    ]
    deviation = sym(T.CONFIG_DEVIATION, "l2", "l2")
    causes = {c.kind: c for c in group([*symptoms, deviation], topology())}
    assert causes[CauseKind.DEVICE_OFFLINE].symptoms == uids(symptoms)
    assert causes[CauseKind.OOB_CHANGE].symptoms == (deviation.uid,)  # not the outage's


def test_a_crashed_bgpd_is_its_own_cause_not_an_out_of_band_change() -> None:
    """l1's bgpd killed: its sessions down at both ends, the routes they carried missing,
    and its running config deviated (no BGP section while bgpd is down)."""
    symptoms = [
        sym(T.ROUTING_DAEMON_DOWN, "l1", "l1", {"running": False, "down": "bgpd"}),
        sym(T.CONFIG_DEVIATION, "l1", "l1", {"deviated": True, "last_deploy": "succeeded"}),
    ]
    for spine in ("s1", "s2"):
        symptoms += [
            sym(T.BGP_SESSION_DOWN, f"{spine}--l1", "l1"),
            sym(T.BGP_SESSION_DOWN, f"{spine}--l1", spine),
            sym(T.ROUTE_MISSING, spine, "l1"),
            sym(T.ROUTE_MISSING, "l1", spine),
        ]
    [cause] = group(symptoms, topology())
    assert (cause.kind, cause.subject) == (CauseKind.ROUTING_DAEMON_DOWN, "l1")
    assert cause.symptoms == uids(symptoms)
    assert cause.evidence["daemons_down"] == "bgpd"
    # v2 hangs on l1 alone, v1 keeps its path through l2
    assert impacted(cause) == {"v1": (2, 2, "redundancy_lost"), "v2": (2, 0, "isolated")}


def test_a_restarted_bgpd_coming_back_is_its_own_cause_not_an_out_of_band_change() -> None:
    """l1's bgpd crashed and watchfrr restarted it: it runs, its sessions are not back
    yet and the round that saw it down left a config deviation."""
    restarted = {"running": True, "down": None, "restarted": "bgpd"}
    symptoms = [
        sym(T.ROUTING_DAEMON_DOWN, "l1", "l1", restarted),
        sym(T.CONFIG_DEVIATION, "l1", "l1", {"deviated": True, "last_deploy": "succeeded"}),
        sym(T.BGP_SESSION_DOWN, "s1--l1", "s1"),
        sym(T.ROUTE_MISSING, "s1", "l1"),
    ]
    [cause] = group(symptoms, topology())
    assert (cause.kind, cause.subject) == (CauseKind.ROUTING_DAEMON_DOWN, "l1")
    assert cause.symptoms == uids(symptoms)
    assert cause.evidence["daemons_down"] == "bgpd" and cause.evidence["restarted"] is True
    assert "crashed and restarted" in cause.summary


def test_a_crashed_daemon_leaves_a_cut_cable_its_own_cause() -> None:
    symptoms = [
        sym(T.ROUTING_DAEMON_DOWN, "l1", "l1", {"running": False, "down": "bgpd"}),
        *link_failure("s1:p1", "l1:p1"),
        sym(T.BGP_SESSION_DOWN, "s2--l1", "l1"),
        sym(T.BGP_SESSION_DOWN, "s2--l1", "s2"),
    ]
    kinds = {c.kind: c for c in group(symptoms, topology())}
    assert set(kinds) == {CauseKind.CABLE_CUT, CauseKind.ROUTING_DAEMON_DOWN}
    assert kinds[CauseKind.CABLE_CUT].symptoms == uids(link_failure("s1:p1", "l1:p1"))
