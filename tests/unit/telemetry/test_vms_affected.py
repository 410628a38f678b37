"""Which VMs a window around a change hurt or restored (pure)."""

from __future__ import annotations

import json

from telemetry.reads import vms_affected


def cause(uid: str, *vms: tuple[str, str, str]) -> dict[str, object]:
    rows = [{"vm": v, "server": s, "networks": ["web"], "status": st} for v, s, st in vms]
    return {"uid": uid, "evidence": json.dumps({"impacted_vms": rows})}


def missing(uid: str, vm: str, server: str) -> dict[str, object]:
    return {"uid": uid, "type": "vm_network_missing", "device": server,
            "actual_value": json.dumps({"vm": vm, "vlan": 300})}  # fmt: skip


def test_a_cause_opened_in_the_window_hurts_its_vms_and_one_cleared_restores_them() -> None:
    old = cause("c-old", ("kvm/a", "s1", "connectivity_lost"))
    new = cause("c-new", ("kvm/b", "s2", "redundancy_lost"))
    both = cause("c-both", ("kvm/c", "s3", "connectivity_lost"))
    got = vms_affected([], [], [old, both], [both, new])
    assert [(v["id"], v["effect"], v["change"]) for v in got] == [
        ("kvm/a", "connectivity_lost", "restored"),
        ("kvm/b", "redundancy_lost", "hurt"),
    ]


def test_a_vm_network_missing_raised_or_cleared_names_its_vm_and_other_anomalies_none() -> None:
    raised = missing("m1", "kvm/x", "s1")
    cleared = missing("m2", "kvm/y", "s2")
    other = {"uid": "i1", "type": "interface_down", "device": "leaf1", "actual_value": "{}"}
    got = vms_affected([cleared, other], [raised, other], [], [])
    assert [(v["id"], v["server"], v["change"]) for v in got] == [
        ("kvm/x", "s1", "hurt"),
        ("kvm/y", "s2", "restored"),
    ]


def test_nothing_changed_nothing_affected() -> None:
    c = cause("c", ("kvm/a", "s1", "connectivity_lost"))
    assert vms_affected([], [], [c], [c]) == []
