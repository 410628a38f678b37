"""User-defined probes without I/O: definitions and their refusals, the processors over
samples held until they change, chains, and what one ingest makes a probe look at."""

from __future__ import annotations

import json
from typing import Any

import pytest

from blueprint_engine.errors import ValidationError
from telemetry.ingest import Change
from telemetry.model import ObservationKind
from telemetry.probes.evaluate import points, targets, verdict, windows
from telemetry.probes.model import MAX_CHAIN, MAX_WINDOW_S, Probe, Processor, Step, parse
from telemetry.probes.predefined import NAMES, PREDEFINED
from telemetry.probes.processors import compare, property_value, reduce, run_chain


def _definition(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "uplink-errors",
        "scope": "MATCH (i:Interface {blueprint: $bp}) RETURN i.id AS subject",
        "kind": "counters",
        "field": "errors_ps",
        "processors": [
            {"type": "average", "window_s": 30},
            {"type": "threshold", "op": "gt", "value": 1},
        ],
        "anomaly": {"type": "uplink_errors", "severity": "critical"},
    }
    return {**base, **over}


def _refused(match: str, **over: Any) -> ValidationError:
    with pytest.raises(ValidationError, match=match) as caught:
        parse(_definition(**over))
    assert caught.value.allowed  # every refusal says what is allowed
    return caught.value


def test_a_definition_parses_into_a_probe_and_back() -> None:
    probe = parse(_definition())
    assert probe.kind is ObservationKind.COUNTERS and probe.window_s == 30
    assert probe.on_label == "Interface"
    assert parse(probe.definition()) == probe
    assert json.loads(probe.definition_json())["anomaly"]["severity"] == "critical"


def test_refusals_name_what_was_wrong_and_what_is_allowed() -> None:
    _refused("probe name", name="Bad Name")
    _refused("unknown observation kind", kind="temperature")
    err = _refused("field 'rx_bogus'", field="rx_bogus")
    assert "errors_ps" in err.allowed
    _refused("anomaly.type 'interface_down'", anomaly={"type": "interface_down"})
    _refused("anomaly.severity", anomaly={"type": "x", "severity": "fatal"})
    _refused("unknown keys", colour="red")
    _refused("scope is 4001 characters", scope="M" * 4001)


def test_chains_are_bounded_and_ordered() -> None:
    threshold = {"type": "threshold", "op": "gt", "value": 1}
    err = _refused("chain has 5 steps", processors=[{"type": "current"}, *[threshold] * 4])
    assert str(MAX_CHAIN) in err.allowed
    _refused("chain has 1 steps", processors=[{"type": "current"}])
    _refused("not a reducer", processors=[threshold, threshold])
    _refused("not a comparison", processors=[{"type": "current"}, {"type": "current"}])
    _refused("not a processor", processors=[{"type": "median", "window_s": 5}, threshold])
    window = {"type": "max", "window_s": MAX_WINDOW_S + 1}
    err = _refused("window_s 3601", processors=[window, threshold])
    assert str(MAX_WINDOW_S) in err.allowed
    _refused("window_s", processors=[{"type": "max", "window_s": float("nan")}, threshold])
    _refused("window_s", processors=[{"type": "max"}, threshold])
    _refused("unknown keys", processors=[{"type": "current", "window_s": 3}, threshold])
    bad_op = {"type": "threshold", "op": "between", "value": 1}
    _refused("op 'between'", processors=[{"type": "current"}, bad_op])


def test_a_field_that_is_not_a_number_is_counted_or_compared_for_equality_only() -> None:
    flag = {"kind": "interface", "field": "oper_up"}
    _refused(
        "needs a numeric field",
        processors=[
            {"type": "average", "window_s": 5},
            {"type": "threshold", "op": "gt", "value": 1},
        ],
        **flag,
    )
    _refused(
        "orders values",
        processors=[{"type": "current"}, {"type": "threshold", "op": "gt", "value": 1}],
        **flag,
    )
    ok = parse(
        _definition(
            processors=[{"type": "current"}, {"type": "threshold", "op": "eq", "value": False}],
            **flag,
        )
    )
    assert ok.comparisons[0].value is False


def test_property_comparisons_take_a_key_and_a_numeric_default() -> None:
    step = {"type": "property", "op": "lt", "property": "bad key"}
    _refused("property", processors=[{"type": "current"}, step])
    step = {"type": "property", "op": "lt", "property": "min_prefixes", "default": "x"}
    _refused("default", processors=[{"type": "current"}, step])
    good = Processor(Step.PROPERTY, op="lt", property="min_prefixes", default=3.0)
    assert property_value(good, {"min_prefixes": "12"}) == 12.0
    assert property_value(good, {"min_prefixes": "twelve"}) == 3.0
    assert property_value(good, {}) == 3.0


# samples are written when the value changes: (time, value) held until the next one
SERIES = [(0.0, 10), (40.0, 0), (70.0, 4), (90.0, 8)]


def test_reducers_over_a_window_see_the_value_it_starts_with() -> None:
    now = 100.0
    assert reduce(Processor(Step.CURRENT), SERIES, now) == 8
    assert reduce(Processor(Step.MIN, 50), SERIES, now) == 0  # 0 held at 50
    assert reduce(Processor(Step.MAX, 50), SERIES, now) == 8
    assert reduce(Processor(Step.MAX, 20), SERIES, now) == 8  # 4 held at 80, then 8
    # 0 for 20 s, 4 for 20 s, 8 for 10 s over the last 50 s: 160 / 50
    assert reduce(Processor(Step.AVERAGE, 50), SERIES, now) == pytest.approx(3.2)
    assert reduce(Processor(Step.STATE_CHANGES, 50), SERIES, now) == 2
    assert reduce(Processor(Step.STATE_CHANGES, 100), SERIES, now) == 3
    assert reduce(Processor(Step.MIN, 5), [], now) is None


def test_rate_counts_a_fall_as_a_reset_from_zero() -> None:
    counter = [(0.0, 100), (10.0, 300), (20.0, 50), (30.0, 150)]
    # +200, reset to 50 (+50), +100 over 30 s
    assert reduce(Processor(Step.RATE, 60), counter, 30.0) == pytest.approx(350 / 30)
    # the value held through a window without a change: no increase
    assert reduce(Processor(Step.RATE, 10), counter, 100.0) == 0.0
    assert reduce(Processor(Step.RATE, 10), [(0.0, "x")], 30.0) is None
    # from the value held at the window's start (300 at 15) to 150 held at 40
    assert reduce(Processor(Step.RATE, 25), counter, 40.0) == pytest.approx((50 + 100) / 25)


def test_comparisons_are_unknown_when_a_side_is() -> None:
    assert compare("gt", 2, 1) is True
    assert compare("le", 2, 1) is False
    assert compare("eq", "up", "up") is True
    assert compare("gt", None, 1) is None
    assert compare("gt", "a", 1) is None


THRESHOLD = {"type": "threshold", "op": "gt", "value": 1}


def _probe(name: str = "uplink-errors", **over: Any) -> Probe:
    return parse(_definition(name=name, **over))


def test_a_chain_holds_when_every_comparison_does() -> None:
    probe = _probe(
        processors=[
            {"type": "max", "window_s": 60},
            {"type": "threshold", "op": "gt", "value": 1},
            {"type": "property", "op": "lt", "property": "ceiling", "default": 100},
        ]
    )
    assert run_chain(probe, SERIES, 100.0, {}).broken is True
    assert run_chain(probe, SERIES, 100.0, {"ceiling": "5"}).broken is False
    assert run_chain(probe, [], 100.0, {}).broken is None
    reading = run_chain(probe, SERIES, 100.0, {"ceiling": "50"})
    assert reading.against == (1, 50.0)


def test_predefined_probes_are_built_from_definitions_like_a_users() -> None:
    assert {"interface-flapping", "bgp-prefixes-low", "interface-error-rate"} == NAMES
    flapping = next(p for p in PREDEFINED if p.name == "interface-flapping")
    assert flapping.predefined and flapping.reducer.type is Step.STATE_CHANGES
    flaps = [(0.0, True), (10.0, False), (20.0, True), (30.0, False), (40.0, True)]
    assert run_chain(flapping, flaps, 50.0, {}).broken is True
    assert run_chain(flapping, flaps[:4], 50.0, {}).broken is False  # 3 changes
    assert run_chain(flapping, flaps, 200.0, {}).broken is False  # a quiet minute later
    prefixes = next(p for p in PREDEFINED if p.name == "bgp-prefixes-low")
    assert run_chain(prefixes, [(1.0, 0)], 2.0, {}).broken is True
    assert run_chain(prefixes, [(1.0, 5)], 2.0, {"bgp_expected_prefixes": "6"}).broken is True
    assert run_chain(prefixes, [(1.0, 5)], 2.0, {}).broken is False


def _change(kind: ObservationKind, observer: str, subject: str) -> Change:
    return Change("bp", kind, observer, subject, None, "{}")


def test_an_ingest_evaluates_changed_subjects_in_scope_and_raised_anomalies() -> None:
    probe = Probe(**{**_probe().__dict__, "subjects": ("leaf1:swp1", "leaf1:swp2")})
    changes = [
        _change(ObservationKind.COUNTERS, "leaf1", "leaf1:swp1"),
        _change(ObservationKind.COUNTERS, "leaf1", "leaf1:swp9"),  # not in scope
        _change(ObservationKind.INTERFACE, "leaf1", "leaf1:swp2"),  # another kind
    ]
    raised = [{"probe": "uplink-errors", "device": "leaf1", "subject": "leaf1:swp2"}]
    found = targets([probe], changes, raised)
    assert [(o, s) for _, o, s in found] == [("leaf1", "leaf1:swp1"), ("leaf1", "leaf1:swp2")]


def test_a_probe_verdict_carries_the_probe_and_its_own_uid() -> None:
    probe = _probe()
    reading = run_chain(probe, [(0.0, 5.0)], 10.0, {})
    v = verdict(probe, "leaf1", "leaf1:swp1", reading)
    assert v.broken is True and v.probe == "uplink-errors"
    assert v.probe_type == "uplink_errors" and v.severity == "critical"
    assert v.uid("bp") == "bp/probe/uplink-errors/leaf1:swp1@leaf1"
    assert "uplink-errors" in v.summary


def test_sample_values_are_read_for_the_probes_field() -> None:
    samples = [[20.0, json.dumps({"oper_up": True})], [10.0, json.dumps({"oper_up": False})]]
    assert points(samples, "oper_up") == [(10.0, False), (20.0, True)]
    assert points([[1.0, "{}"]], "oper_up") == []


def test_a_probe_reads_its_samples_from_its_window_start_and_current_from_now() -> None:
    """Only the samples a reducer needs are read: those after the window's start and the
    one it starts with (for ``current``: the last one held at ``now``)."""
    windowed = _probe(processors=[{"type": "max", "window_s": 60}, THRESHOLD])
    current = _probe(name="now", processors=[{"type": "current"}, THRESHOLD])
    todo = [(windowed, "leaf1", "leaf1:swp1"), (current, "leaf1", "leaf1:swp1")]
    uid = f"bp/{windowed.kind.value}/leaf1/leaf1:swp1"
    assert windows("bp", todo, 100.0) == {
        todo[0]: (uid, windowed.field, 40.0),
        todo[1]: (uid, current.field, 100.0),
    }


def test_every_kind_has_a_subject_check() -> None:
    from telemetry.model import SUBJECT_LABEL
    from telemetry.probes.store import KNOWN

    assert set(SUBJECT_LABEL.values()) == set(KNOWN)
