"""The EVPN overlay against intent, without I/O: intent derived from the blueprint's rows,
the ``evpn`` observation built from the driver's getter, and the verdicts.

    l1 (rack1)      l2 (rack2)      l3 (rack3)
      web 10100 ----- web 10100     (web stretched over rack1 and rack2)
                      db 10200 ----- db 10200
      zone blue: L3 VNI 10001 on every leaf serving one of its networks
"""

from __future__ import annotations

from typing import Any

import pytest

from blueprint_engine.errors import ValidationError
from telemetry.collect_map import DeviceIntent, observations
from telemetry.evaluate import Verdict
from telemetry.ingest import Change
from telemetry.model import Observation, ObservationKind, check
from telemetry.overlay import evaluate, stale
from telemetry.overlay_engine import touched
from telemetry.overlay_intent import LeafOverlay, derive
from telemetry.overlay_model import MAX_VNIS, VniIntent, evpn_value

VTEPS = {"l1": "10.0.0.1", "l2": "10.0.0.2", "l3": "10.0.0.3"}
WEB = {"network": "web", "vni": 10100, "zone": "blue", "l3vni": 10001}
DB = {"network": "db", "vni": 10200, "zone": "blue", "l3vni": 10001}


def rows(modes: dict[str, str | None] | None = None) -> list[dict[str, Any]]:
    modes = modes or {}
    nets = {"l1": [WEB], "l2": [WEB, DB], "l3": [DB]}
    return [
        {"system": s, "hostname": s, "loopback": f"{VTEPS[s]}/32",
         "mode": modes.get(s, "deploy"), "networks": nets[s]}
        for s in sorted(nets)
    ]  # fmt: skip


def vni(number: int, remote: list[str], present: bool = True, up: bool = True) -> dict[str, Any]:
    return {"vni": number, "present": present, "up": up, "remote_vteps": remote}


def healthy() -> dict[str, dict[str, Any]]:
    return {
        "l1": {"vnis": [vni(10001, []), vni(10100, ["10.0.0.2"])], "unrouted_vteps": []},
        "l2": {
            "vnis": [vni(10001, []), vni(10100, ["10.0.0.1"]), vni(10200, ["10.0.0.3"])],
            "unrouted_vteps": [],
        },
        "l3": {"vnis": [vni(10001, []), vni(10200, ["10.0.0.2"])], "unrouted_vteps": []},
    }


REACHABLE = {s: {"reachable": True, "hostname": s} for s in VTEPS}


def broken(found: list[Verdict]) -> set[tuple[str, str, str]]:
    return {(v.type.value, v.subject, v.device) for v in found if v.broken}


def by_uid(found: list[Verdict]) -> dict[str, Verdict]:
    return {v.uid("bp"): v for v in found}


# -- intent ---------------------------------------------------------------------------------


def test_a_leaf_serves_its_racks_networks_and_their_zones_l3_vni_with_the_other_leafs_vteps() -> (
    None
):
    leafs = derive(rows())
    assert [(v.vni, v.layer, v.owner, v.remote_vteps) for v in leafs["l2"].vnis] == [
        (10001, "l3", "blue", ()),
        (10100, "l2", "web", ("10.0.0.1",)),
        (10200, "l2", "db", ("10.0.0.3",)),
    ]
    assert leafs["l1"].vtep == "10.0.0.1"
    assert [v.peers for v in leafs["l1"].vnis] == [(), ("l2",)]


def test_a_leaf_whose_device_is_not_deployed_is_no_remote_vtep_of_the_others() -> None:
    leafs = derive(rows({"l3": "ready"}))
    assert not leafs["l3"].deployed
    db = next(v for v in leafs["l2"].vnis if v.vni == 10200)
    assert (db.peers, db.remote_vteps) == ((), ())


# -- the observation ------------------------------------------------------------------------


def reported(vnis: dict[int, tuple[str, list[str]]]) -> dict[str, dict[str, Any]]:
    """What the driver's get_evpn_vnis returns (napalm_linuxfrr.evpn.parse_vnis)."""
    return {
        str(n): {"type": "l2", "vrf": "blue", "local_vtep": "10.0.0.2", "interface": f"vni{n}",
                 "svi": "x", "remote_vteps": remote, "macs": 0, "l2_vnis": [], "state": state}
        for n, (state, remote) in vnis.items()
    }  # fmt: skip


def test_the_observation_holds_every_intended_vni_an_absent_one_as_absent() -> None:
    intent = derive(rows())["l2"].vnis
    seen = reported({10100: ("up", ["10.0.0.1"]), 10001: ("down", []), 99: ("up", [])})
    rib = {"10.0.0.1/32": [{"current_active": True}], "10.0.0.3/32": [{"current_active": False}]}
    assert evpn_value(intent, seen, rib) == {
        "vnis": [vni(10001, [], up=False), vni(10100, ["10.0.0.1"]),
                 vni(10200, [], present=False, up=False)],
        "unrouted_vteps": ["10.0.0.3"],
    }  # fmt: skip
    assert evpn_value(intent, seen, None)["unrouted_vteps"] is None  # the RIB not read


def test_a_leaf_with_vnis_is_observed_from_its_evpn_getter_and_a_leaf_without_is_not() -> None:
    intent = DeviceIntent("bp", "l1", "l1", vnis=derive(rows())["l1"].vnis)
    getters: dict[str, Any] = {
        "errors": {},
        "get_facts": {"hostname": "l1"},
        "get_evpn_vnis": reported({10100: ("up", ["10.0.0.2"]), 10001: ("up", [])}),
        "get_route_to": {"10.0.0.2/32": [{"current_active": True}]},
    }
    evpn = [o for o in observations(intent, getters, 1.0) if o.kind is ObservationKind.EVPN]
    assert [(o.subject, o.value) for o in evpn] == [("l1", healthy()["l1"])]
    check(evpn[0])  # a valid observation
    underlay = DeviceIntent("bp", "l1", "l1")
    assert all(o.kind is not ObservationKind.EVPN for o in observations(underlay, getters, 1.0))


def observation(value: dict[str, Any]) -> Observation:
    return Observation("bp", ObservationKind.EVPN, "l1", "l1", value, 1.0)


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ({"vnis": [{"vni": 1, "present": True}], "unrouted_vteps": None}, "exactly the keys"),
        ({"vnis": [vni(0, [])], "unrouted_vteps": None}, "vni 0"),
        ({"vnis": [vni(5, []), vni(5, [])], "unrouted_vteps": None}, "listed twice"),
        ({"vnis": [vni(5, ["not-an-ip"])], "unrouted_vteps": None}, "'not-an-ip'"),
        ({"vnis": [vni(5, [])], "unrouted_vteps": "10.0.0.1"}, "unrouted_vteps"),
        ({"vnis": [vni(n, []) for n in range(1, MAX_VNIS + 2)], "unrouted_vteps": []}, "4097"),
        ({"vnis": [{**vni(5, []), "up": "yes"}], "unrouted_vteps": []}, "booleans"),
    ],
)
def test_a_malformed_evpn_value_is_refused_naming_what_is_wrong(
    value: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        check(observation(value))
    assert named in refused.value.message
    assert "remote_vteps" in str(refused.value.allowed)


# -- verdicts -------------------------------------------------------------------------------


def test_a_healthy_overlay_breaks_nothing_and_judges_every_vni_and_vtep_pair() -> None:
    found = evaluate(derive(rows()), REACHABLE, healthy())
    assert broken(found) == set()
    assert sorted(by_uid(found)) == [
        "bp/remote_vtep_missing/l1@l2", "bp/remote_vtep_missing/l2@l1",
        "bp/remote_vtep_missing/l2@l3", "bp/remote_vtep_missing/l3@l2",
        "bp/vni_missing/blue@l1", "bp/vni_missing/blue@l2", "bp/vni_missing/blue@l3",
        "bp/vni_missing/db@l2", "bp/vni_missing/db@l3",
        "bp/vni_missing/web@l1", "bp/vni_missing/web@l2",
    ]  # fmt: skip
    assert {v.broken for v in found} == {False}


def test_a_vni_removed_on_a_leaf_is_missing_there_and_its_vtep_missing_on_the_other_leaf() -> None:
    seen = healthy()
    seen["l2"]["vnis"][1] = vni(10100, [], present=False, up=False)  # web gone on l2
    seen["l1"]["vnis"][1] = vni(10100, [])  # l1 no longer hears l2 for web
    found = evaluate(derive(rows()), REACHABLE, seen)
    # not also "l1 missing from l2's web": web is not there to list it
    assert broken(found) == {("vni_missing", "web", "l2"), ("remote_vtep_missing", "l2", "l1")}
    missing = by_uid(found)["bp/remote_vtep_missing/l2@l1"]
    assert missing.actual_value == {"vtep": "10.0.0.2", "vnis": [10100], "routed": True}
    assert by_uid(found)["bp/vni_missing/web@l2"].on_label == "VirtualNetwork"
    assert by_uid(found)["bp/vni_missing/blue@l2"].on_label == "RoutingZone"


def test_a_vni_down_is_missing_and_a_vtep_without_route_says_so() -> None:
    seen = healthy()
    seen["l3"]["vnis"][0] = vni(10001, [], up=False)
    seen["l3"]["vnis"][1] = vni(10200, [])
    seen["l3"]["unrouted_vteps"] = ["10.0.0.2"]
    found = evaluate(derive(rows()), REACHABLE, seen)
    assert broken(found) == {("vni_missing", "blue", "l3"), ("remote_vtep_missing", "l2", "l3")}
    assert by_uid(found)["bp/remote_vtep_missing/l2@l3"].actual_value == {
        "vtep": "10.0.0.2", "vnis": [10200], "routed": False,
    }  # fmt: skip


def test_an_unreachable_leaf_is_unknown_and_a_leaf_not_deployed_clears() -> None:
    seen = healthy()
    seen["l1"]["vnis"] = []
    devices: dict[str, dict[str, Any]] = {**REACHABLE, "l1": {"reachable": False, "hostname": None}}
    found = by_uid(evaluate(derive(rows()), devices, seen))
    assert found["bp/vni_missing/web@l1"].broken is None
    assert found["bp/remote_vtep_missing/l2@l1"].broken is None
    undeployed = by_uid(evaluate(derive(rows({"l1": "ready"})), REACHABLE, seen))
    assert undeployed["bp/vni_missing/web@l1"].broken is False
    assert "bp/remote_vtep_missing/l1@l2" not in undeployed  # not expected of l2 any more


def test_a_vni_not_observed_yet_is_unknown() -> None:
    seen = healthy()
    del seen["l3"]["vnis"][1]  # intent gave l3 db after its last round
    found = by_uid(evaluate(derive(rows()), REACHABLE, seen))
    assert found["bp/vni_missing/db@l3"].broken is None
    assert found["bp/remote_vtep_missing/l2@l3"].broken is None


def test_missing_vteps_to_or_from_a_draining_leaf_are_expected() -> None:
    seen = healthy()
    seen["l1"]["vnis"][1] = vni(10100, [])
    found = by_uid(evaluate(derive(rows({"l2": "drain"})), REACHABLE, seen))
    assert found["bp/remote_vtep_missing/l2@l1"].broken is True
    assert found["bp/remote_vtep_missing/l2@l1"].expected is True


def test_raised_overlay_anomalies_no_verdict_speaks_of_are_cleared() -> None:
    found = evaluate(derive(rows()), REACHABLE, healthy())
    raised = [
        {"uid": "bp/vni_missing/web@l1", "type": "vni_missing", "subject": "web", "device": "l1"},
        {"uid": "bp/vni_missing/old@l1", "type": "vni_missing", "subject": "old", "device": "l1"},
    ]
    assert [(v.uid("bp"), v.broken) for v in stale("bp", found, raised)] == [
        ("bp/vni_missing/old@l1", False)
    ]


def test_a_leaf_of_the_overlay_needs_its_vnis_intent() -> None:
    leaf = LeafOverlay("l9", "l9", "10.0.0.9", True, (VniIntent(7, "l2", "x"),))
    found = evaluate({"l9": leaf}, {}, {})
    assert [(v.uid("bp"), v.broken) for v in found] == [("bp/vni_missing/x@l9", None)]


def test_a_change_judges_the_overlay_of_the_leafs_that_observed_it_only() -> None:
    def change(kind: ObservationKind, observer: str) -> Change:
        return Change("bp", kind, observer, observer, None, "{}")

    changes = [
        change(ObservationKind.EVPN, "l1"),
        change(ObservationKind.DEVICE, "l3"),
        change(ObservationKind.CONFIG, "l2"),  # says nothing about the overlay
    ]
    assert touched(changes) == {"l1", "l3"}
    assert touched([change(ObservationKind.INTERFACE, "l2")]) == set()
