"""The pool_down anomaly's plan and its root cause (pure)."""

from __future__ import annotations

import json

from blueprint_engine.devices.worker_pools import DownPlacement
from telemetry.evaluate import AnomalyType
from telemetry.pool_down import plan, uid
from telemetry.rootcause import CauseKind, Symptom, Topology, group


def _down(bp: str, pool: str, *serials: str) -> DownPlacement:
    devices = tuple(
        {"serial": s, "system": s.lower(), "state": "IS-ACTIVE", "deploy_mode": "deploy"}
        for s in serials
    )
    return DownPlacement(pool, f"q-{pool}", bp, "2026-12-01T23:00:00Z", devices)


def test_a_pool_down_raises_one_anomaly_per_blueprint_naming_its_devices() -> None:
    todo = plan([_down("dc1", "pool-b", "S2", "S1"), _down("dc2", "pool-b", "S9")], [])
    assert sorted(todo) == ["dc1", "dc2"]
    row = todo["dc1"].upsert[0]
    assert row["uid"] == uid("dc1", "pool-b") == "dc1/pool_down/pool-b"
    assert row["systems"] == ["s1", "s2"]
    assert json.loads(row["actual_value"])["devices"] == ["S2", "S1"]
    assert "not collected and not deployable: S2, S1" in row["summary"]
    assert todo["dc1"].raised == [row] and todo["dc1"].clear == []


def test_a_pool_still_down_is_refreshed_not_raised_again_and_one_back_is_cleared() -> None:
    first = plan([_down("dc1", "pool-b", "S1")], [])["dc1"].upsert[0]
    held = [
        {**first, "blueprint": "dc1"},
        {
            "uid": uid("dc1", "pool-c"),
            "blueprint": "dc1",
            "subject": "pool-c",
            "device": "pool:pool-c",
            "actual_value": "{}",
            "summary": "old",
        },
    ]
    todo = plan([_down("dc1", "pool-b", "S1")], held)["dc1"]
    assert [r["uid"] for r in todo.upsert] == [uid("dc1", "pool-b")]
    assert todo.raised == []
    assert [r["uid"] for r in todo.clear] == [uid("dc1", "pool-c")]
    moved_in = plan([_down("dc1", "pool-b", "S1", "S3")], held)["dc1"]
    assert [r["uid"] for r in moved_in.raised] == [uid("dc1", "pool-b")]  # devices changed


def test_the_root_cause_of_a_pool_down_names_the_devices_and_no_intent_node() -> None:
    actual = {"pool": "pool-b", "queue": "q-b", "devices": ["S1", "S2"], "systems": ["s1", "s2"]}
    symptom = Symptom(uid("dc1", "pool-b"), AnomalyType.POOL_DOWN, "pool-b", "pool:pool-b", actual)
    [cause] = group([symptom], Topology())
    assert cause.kind is CauseKind.POOL_DOWN and cause.subject == "pool-b"
    assert cause.at == () and cause.symptoms == (symptom.uid,)
    assert cause.evidence["not_collected"] == ["S1", "S2"]
    assert cause.evidence["not_deployable"] == ["S1", "S2"]
    assert "2 device(s) are neither collected nor deployable (S1, S2)" in cause.summary
