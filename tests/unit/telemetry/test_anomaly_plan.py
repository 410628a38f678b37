"""Which anomalies and root causes are written, from verdicts and what the graph holds."""

from __future__ import annotations

from telemetry import anomalies, causes
from telemetry.engine import triggers
from telemetry.evaluate import AnomalyType, Verdict
from telemetry.ingest import Change
from telemetry.model import ObservationKind as K
from telemetry.rootcause import Cause, CauseKind


def verdict(
    broken: bool | None,
    subject: str = "leaf1:swp1",
    *,
    expected: bool = False,
    suppressed: bool = False,
) -> Verdict:
    return Verdict(
        AnomalyType.INTERFACE_DOWN,
        subject,
        "Interface",
        "leaf1",
        broken,
        {"oper_up": True},
        {"oper_up": False, "admin_up": True},
        "down",
        expected=expected,
        suppressed=suppressed,
    )


def held(uid: str, **kw: object) -> dict[str, object]:
    return {
        "uid": uid,
        "state": "raised",
        "expected": False,
        "suppressed": False,
        "actual_value": '{"admin_up": true, "oper_up": false}',
        **kw,
    }


UID = "bp/interface_down/leaf1:swp1"


def test_a_broken_expectation_is_raised_once_then_only_refreshed() -> None:
    first = anomalies.plan("bp", [verdict(True)], {})
    assert [r["uid"] for r in first.raised] == [UID] and first.upsert
    again = anomalies.plan("bp", [verdict(True)], {UID: held(UID)})
    assert again.raised == [] and [r["uid"] for r in again.upsert] == [UID]


def test_a_held_expectation_clears_a_raised_anomaly_and_ignores_absent_ones() -> None:
    assert [r["uid"] for r in anomalies.plan("bp", [verdict(False)], {UID: held(UID)}).clear] == [
        UID
    ]
    assert not anomalies.plan("bp", [verdict(False)], {})
    assert not anomalies.plan("bp", [verdict(False)], {UID: held(UID, state="cleared")})


def test_an_unknown_verdict_leaves_the_anomaly_as_it_is() -> None:
    assert not anomalies.plan("bp", [verdict(None)], {UID: held(UID)})


def test_a_change_of_flags_is_announced_again() -> None:
    todo = anomalies.plan("bp", [verdict(True, expected=True)], {UID: held(UID)})
    assert [r["uid"] for r in todo.raised] == [UID]


def cause(symptoms: tuple[str, ...]) -> Cause:
    return Cause(CauseKind.CABLE_CUT, "l1", (("Link", "l1"),), symptoms, {}, "cut")


def test_causes_open_change_and_clear() -> None:
    stored = [
        {"uid": "bp/cable_cut/l1", "kind": "cable_cut", "subject": "l1", "symptoms": ["a"]},
        {"uid": "bp/server_down/v1", "kind": "server_down", "subject": "v1", "symptoms": ["b"]},
    ]
    todo = causes.plan("bp", [cause(("a", "c"))], stored)
    assert [c.uid("bp") for c in todo.changed] == ["bp/cable_cut/l1"]
    assert [r["uid"] for r in todo.clear] == ["bp/server_down/v1"]
    same = causes.plan("bp", [cause(("a",))], stored[:1])
    assert same.changed == [] and same.clear == []


def change(kind: K, observer: str, subject: str, old: str | None, value: str) -> Change:
    return Change("bp", kind, observer, subject, old, value)


def test_each_changed_observation_touches_only_its_expectations() -> None:
    found = triggers(
        [
            change(K.INTERFACE, "l1", "l1:p1", None, "{}"),
            change(K.LLDP, "l1", "l1:p2", None, "{}"),
            change(K.BGP, "l1", "s1--l1", None, "{}"),
            change(K.OPTICS, "l1", "l1:p1:x", None, "{}"),
            change(K.ROUTE, "l1", "s1", None, "{}"),
            change(K.CONFIG, "l2", "l2", None, "{}"),
            change(
                K.DEVICE,
                "s1",
                "s1",
                '{"reachable": true, "hostname": "s1"}',
                '{"reachable": true, "hostname": "x"}',
            ),
            change(
                K.DEVICE,
                "s2",
                "s2",
                '{"reachable": true, "hostname": "s2"}',
                '{"reachable": false, "hostname": null}',
            ),
        ]
    )
    assert found.scope.interfaces == {"l1:p1", "l1:p2"}
    assert found.scope.sessions == {"s1--l1"}
    assert found.scope.systems == {"l2", "s1", "s2"}
    assert found.transceivers == {"l1:p1:x"}
    assert found.route_pairs == {("l1", "s1")}
    assert found.reachability == {"s2"}  # only a change of reachability widens the scope
