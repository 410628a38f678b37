"""Probes evaluated on every ingest, like the built-in rules.

For each probe of the blueprint: the observations of its kind about its subjects that
this ingest changed, and those its anomalies are raised on (so a window that has moved
on clears them without a new change). Their samples are read in one statement, each
chain runs (``telemetry.probes.processors``), and the verdicts raise and clear
anomalies of type ``probe`` through ``telemetry.anomalies`` (uid
``<bp>/probe/<probe>/<subject>@<switch>``, carrying ``probe``, ``probe_type`` and
``severity``); when any was raised or cleared, root causes are regrouped, so a probe's
anomaly on an interface of a cut link is one more symptom of that cable's cause.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from blueprint_engine.events import Publisher
from blueprint_engine.graph.db import Graph, Query, Row, Tx
from telemetry import anomalies
from telemetry.engine import Outcome, apply_plan, apply_verdicts
from telemetry.evaluate import AnomalyType, Verdict
from telemetry.model import observation_uid
from telemetry.probes import store
from telemetry.probes.model import Probe, Step
from telemetry.probes.processors import Point, Reading, run_chain

if TYPE_CHECKING:
    from telemetry.ingest import Change

SAMPLES = Query(
    "probes.samples",
    """
    UNWIND $rows AS r
    MATCH (o:Observation {uid: r.uid})
    RETURN r.uid AS uid, r.field AS field, r.since AS since,
           [(o)-[:HAD]->(s:Sample) WHERE s.at > r.since | [s.at, s.value]] +
           COLLECT { MATCH (o)-[:HAD]->(s:Sample)
                     WHERE s.at <= r.since AND s.value CONTAINS r.key
                     RETURN [s.at, s.value] AS held ORDER BY s.at DESC LIMIT 1 } AS samples
    """,
)
"""The samples a window starting at ``since`` needs, for one field of one observation:
those after ``since`` and the last one at or before it that holds the field (its key
``"field":`` in the canonical JSON text); older samples are never read or sent."""
PROPERTIES = Query(
    "probes.properties",
    """
    MATCH (b:Blueprint {name: $bp})
    RETURN b.property_set AS blueprint,
           COLLECT { MATCH (s:System) WHERE s.uid IN $uids
                     RETURN [s.id, s.property_set] } AS systems
    """,
)

Target = tuple[Probe, str, str]  # (probe, observer, subject)


def targets(
    probes: Sequence[Probe], changes: Iterable[Change], raised: Iterable[Mapping[str, Any]]
) -> list[Target]:
    """Pure: what to evaluate: each probe's changed observations in scope, and the
    observations its raised anomalies are on."""
    by_kind: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for c in changes:
        by_kind[c.kind.value].append((c.observer, c.subject))
    held: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for a in raised:
        held[str(a["probe"])].add((str(a["device"]), str(a["subject"])))
    found: dict[tuple[str, str, str], Target] = {}
    for probe in probes:
        subjects = set(probe.subjects)
        pairs = {(o, s) for o, s in by_kind.get(probe.kind.value, ()) if s in subjects}
        for observer, subject in sorted(pairs | held.get(probe.name, set())):
            found[(probe.name, observer, subject)] = (probe, observer, subject)
    return [found[k] for k in sorted(found)]


def points(samples: Iterable[Sequence[Any]], field: str) -> list[Point]:
    """Pure: the field's value in each sample (JSON text), ascending by time."""
    out: list[Point] = []
    for at, text in samples:
        value = json.loads(text) if isinstance(text, str) else None
        if isinstance(value, Mapping) and field in value:
            out.append((float(at), value[field]))
    return sorted(out, key=lambda p: p[0])


def _summary(probe: Probe, observer: str, subject: str, reading: Reading) -> str:
    reducer = probe.reducer
    what = reducer.type.value + (f" over {reducer.window_s:g} s" if reducer.window_s else "")
    tests = ", ".join(
        f"{c.op} {f'{c.property}=' if c.type is Step.PROPERTY else ''}{v}"
        for c, v in zip(probe.comparisons, reading.against, strict=True)
    )
    return (
        f"probe {probe.name}: {probe.field} ({what}) of {subject} at {observer} "
        f"is {reading.value} ({tests})"
    )


def verdict(probe: Probe, observer: str, subject: str, reading: Reading) -> Verdict:
    """Pure: the anomaly a probe's reading implies (broken None: keeps its state)."""
    return Verdict(
        AnomalyType.PROBE,
        subject,
        probe.on_label,
        observer,
        reading.broken,
        {"probe": probe.name, "kind": probe.kind.value, "field": probe.field},
        {"against": list(reading.against)},
        _summary(probe, observer, subject, reading),
        probe=probe.name,
        probe_type=probe.anomaly_type,
        severity=probe.severity.value,
    )


def _properties(graph: Graph, tx: Tx, bp: str, observers: set[str]) -> dict[str, dict[str, str]]:
    """Each observer's property set: its own keys over the blueprint's."""
    rows = graph.run(tx, PROPERTIES, bp=bp, uids=[f"{bp}/{o}" for o in sorted(observers)])
    if not rows:
        return {}
    base = json.loads(rows[0]["blueprint"] or "{}")
    own = {ident: json.loads(text or "{}") for ident, text in rows[0]["systems"]}
    return {o: {**base, **own.get(o, {})} for o in observers}


Window = tuple[str, str, float]  # (observation uid, field, window start)


def windows(bp: str, todo: Sequence[Target], now: float) -> dict[Target, Window]:
    """Pure: the samples each target's reducer needs: its observation's, for its field,
    from its window's start (``current``: from ``now``, the last sample held)."""
    return {
        (p, o, s): (observation_uid(bp, p.kind.value, o, s), p.field, now - p.window_s)
        for p, o, s in todo
    }


def readings(
    graph: Graph, bp: str, todo: Sequence[Target], now: float
) -> list[tuple[Target, Reading]]:
    needed = windows(bp, todo, now)
    rows = [
        {"uid": uid, "field": field, "since": since, "key": json.dumps(field) + ":"}
        for uid, field, since in sorted(set(needed.values()))
    ]
    uses_properties = any(c.type is Step.PROPERTY for p, _, _ in todo for c in p.comparisons)
    observers = {o for _, o, _ in todo} if uses_properties else set()

    def work(tx: Tx) -> tuple[list[Row], dict[str, dict[str, str]]]:
        found = graph.run(tx, SAMPLES, rows=rows)
        return found, _properties(graph, tx, bp, observers) if observers else {}

    found, props = graph.read_tx(work)
    samples = {(r["uid"], r["field"], r["since"]): r["samples"] for r in found}
    out: list[tuple[Target, Reading]] = []
    for target in todo:
        probe, observer, _ = target
        series = points(samples.get(needed[target]) or [], probe.field)
        out.append((target, run_chain(probe, series, now, props.get(observer, {}))))
    return out


def evaluate(
    graph: Graph, redis: Publisher, bp: str, changes: Sequence[Change], now: float
) -> Outcome:
    """Evaluate the blueprint's probes on ``changes`` and on their raised anomalies."""
    found = store.state(graph, bp)
    todo = targets(found.probes, changes, found.raised) if found.found else []
    if not todo:
        return Outcome()
    verdicts = [verdict(p, o, s, r) for (p, o, s), r in readings(graph, bp, todo, now)]
    return apply_verdicts(graph, redis, bp, verdicts, now)


def forget(graph: Graph, redis: Publisher, bp: str, probe: str, now: float) -> Outcome:
    """Clear the raised anomalies of a deleted probe and regroup root causes."""
    raised = [a for a in store.state(graph, bp).raised if a["probe"] == probe]
    if not raised:
        return Outcome()
    rows = [
        {
            "uid": a["uid"],
            "type": AnomalyType.PROBE.value,
            "device": a["device"],
            "subject": a["subject"],
            "expected": False,
            "suppressed": False,
            "summary": f"probe {probe} deleted",
            "probe": probe,
        }
        for a in raised
    ]
    return apply_plan(graph, redis, bp, anomalies.Plan(clear=rows), now)
