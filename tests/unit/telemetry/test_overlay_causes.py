"""Root causes of the overlay's anomalies, without I/O.

    s1 (spine)
    |     \\   \\
    l1    l2    l3       one eBGP session s1--lN over each link; web (VNI 10100) on
                         l1, l2 and l3, db (VNI 10200) on l2 and l3
"""

from __future__ import annotations

from typing import Any

from telemetry.evaluate import AnomalyType as T
from telemetry.overlay_causes import RULES
from telemetry.rootcause import (
    Cause,
    CauseKind,
    End,
    LinkTopo,
    SessionTopo,
    Symptom,
    Topology,
    group,
)

LEAFS = ("l1", "l2", "l3")
VTEPS = {"l1": "10.0.0.1", "l2": "10.0.0.2", "l3": "10.0.0.3"}


def topology() -> Topology:
    topo = Topology()
    for n, leaf in enumerate(LEAFS, start=1):
        a = End(f"s1:p{n}", f"p{n}", "s1", "s1", "spine", monitored=True)
        b = End(f"{leaf}:p1", "p1", leaf, leaf, "leaf", monitored=True)
        topo.add_link(LinkTopo(f"s1:p{n}--{leaf}:p1", "spine_leaf", (a, b)))
        topo.add_session(SessionTopo(f"s1--{leaf}", "s1", leaf, f"s1:p{n}--{leaf}:p1"))
    return topo


def sym(kind: T, subject: str, device: str, actual: dict[str, Any] | None = None) -> Symptom:
    per_end = kind in (T.BGP_SESSION_DOWN, T.ROUTE_MISSING, T.VNI_MISSING,
                       T.REMOTE_VTEP_MISSING)  # fmt: skip
    suffix = f"@{device}" if per_end else ""
    return Symptom(f"bp/{kind.value}/{subject}{suffix}", kind, subject, device, actual)


def vni_missing(network: str, vni: int, leaf: str) -> Symptom:
    actual = {"vni": vni, "layer": "l2", "present": False, "up": False}
    return sym(T.VNI_MISSING, network, leaf, actual)


def vtep_missing(about: str, on: str, vnis: list[int], routed: bool | None = True) -> Symptom:
    actual = {"vtep": VTEPS[about], "vnis": vnis, "routed": routed}
    return sym(T.REMOTE_VTEP_MISSING, about, on, actual)


def causes(symptoms: list[Symptom]) -> list[tuple[str, str, set[str]]]:
    return [(c.kind.value, c.subject, set(c.symptoms)) for c in group(symptoms, topology(), RULES)]


def uids(*symptoms: Symptom) -> set[str]:
    return {s.uid for s in symptoms}


def only(symptoms: list[Symptom]) -> Cause:
    (cause,) = group(symptoms, topology(), RULES)
    return cause


def test_a_vni_removed_on_a_leaf_is_one_cause_with_the_missing_vteps_it_implies() -> None:
    found = [
        vni_missing("web", 10100, "l2"),
        vtep_missing("l2", "l1", [10100]),
        vtep_missing("l2", "l3", [10100]),
    ]
    cause = only(found)
    assert (cause.kind, cause.subject, set(cause.symptoms)) == (
        CauseKind.VNI_MISSING, "l2", uids(*found),
    )  # fmt: skip
    assert cause.evidence["vnis"] == {"web": 10100}
    assert cause.evidence["peers_missing_it"] == ["l1", "l3"]
    assert cause.evidence["impacted_servers"] == []  # no underlay path is broken


def test_a_vtep_missing_for_vnis_the_leaf_still_has_is_not_explained_by_another_missing_vni() -> (
    None
):
    gone = [vni_missing("web", 10100, "l2"), vtep_missing("l2", "l1", [10100])]
    other = vtep_missing("l2", "l3", [10100, 10200])  # l3 misses l2 for db too: not web's loss
    assert causes([*gone, other]) == [
        ("vni_missing", "l2", uids(*gone)),
        ("vtep_unreachable", "l2", uids(other)),
    ]


def test_a_vtep_missing_on_every_leaf_is_one_unreachable_vtep() -> None:
    found = [vtep_missing("l3", "l1", [10100], routed=False), vtep_missing("l3", "l2", [10100,
             10200], routed=False)]  # fmt: skip
    cause = only(found)
    assert (cause.kind, cause.subject) == (CauseKind.VTEP_UNREACHABLE, "l3")
    assert cause.evidence["unrouted_on"] == ["l1", "l2"]
    assert "no route to it on l1, l2" in cause.summary


def test_an_out_of_band_change_on_the_leaf_explains_its_missing_vni_and_the_peers_symptoms() -> (
    None
):
    found = [
        sym(T.CONFIG_DEVIATION, "l2", "l2", {"deviated": True, "last_deploy": "succeeded"}),
        vni_missing("web", 10100, "l2"),
        vtep_missing("l2", "l1", [10100]),
    ]
    cause = only(found)
    assert (cause.kind, cause.subject, set(cause.symptoms)) == (
        CauseKind.OOB_CHANGE, "l2", uids(*found),
    )  # fmt: skip
    assert "2 overlay symptom(s)" in cause.summary


def test_an_offline_leaf_explains_its_vtep_missing_on_the_others() -> None:
    found = [
        sym(T.DEVICE_UNAVAILABLE, "l3", "l3", {"reachable": False}),
        sym(T.BGP_SESSION_DOWN, "s1--l3", "s1", {"established": False}),
        vtep_missing("l3", "l1", [10100]),
        vtep_missing("l3", "l2", [10100, 10200]),
    ]
    assert causes(found) == [("device_offline", "l3", uids(*found))]


def test_a_leaf_whose_bgp_daemon_is_down_explains_the_vteps_missing_to_and_from_it() -> None:
    found = [
        sym(T.ROUTING_DAEMON_DOWN, "l1", "l1", {"running": False, "down": "bgpd"}),
        sym(T.BGP_SESSION_DOWN, "s1--l1", "l1", {"established": False}),
        sym(T.BGP_SESSION_DOWN, "s1--l1", "s1", {"established": False}),
        vtep_missing("l1", "l2", [10100]),
        vtep_missing("l2", "l1", [10100]),
    ]
    assert causes(found) == [("routing_daemon_down", "l1", uids(*found))]


def test_the_underlay_rules_alone_leave_the_overlay_symptoms_unexplained() -> None:
    found = [vni_missing("web", 10100, "l2"), vtep_missing("l2", "l1", [10100])]
    assert group(found, topology()) == []


def test_an_out_of_band_change_explains_its_vtep_unrouted_on_the_others_not_unrelated_ones() -> (
    None
):
    deviation = sym(T.CONFIG_DEVIATION, "l3", "l3", {"deviated": True, "last_deploy": None})
    unrouted = vtep_missing("l3", "l2", [10200], routed=False)  # its loopback withdrawn
    elsewhere = vtep_missing("l1", "l2", [10100])  # about another leaf: not its doing
    assert causes([deviation, unrouted, elsewhere]) == [
        ("oob_change", "l3", uids(deviation, unrouted)),
        ("vtep_unreachable", "l1", uids(elsewhere)),
    ]
