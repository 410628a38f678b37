"""Event-driven evaluation: re-evaluate only the expectations changed observations touch.

``evaluate_changes`` is called by ``telemetry.ingest`` with the observations whose
value changed; ``reevaluate`` is the level-triggered sweep (a whole blueprint, or
some switches after a lifecycle change such as a drain or an accepted deviation).
Both raise/clear anomalies and, when any anomaly changed, regroup root causes. The EVPN
overlay's verdicts (``telemetry.overlay_engine``) join both: on a change of an ``evpn`` or
device fact, and in every sweep.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from blueprint_engine.events import Publisher
from blueprint_engine.graph.db import Graph, Query, Tx
from telemetry import anomalies, causes, expectations, overlay_engine
from telemetry.evaluate import (
    Verdict,
    evaluate_interface,
    evaluate_session,
    evaluate_system,
    evaluate_unused_port,
)
from telemetry.expectations import Scope
from telemetry.model import ObservationKind as K

if TYPE_CHECKING:
    from telemetry.ingest import Change


@dataclass
class Outcome:
    raised: list[dict[str, Any]] = field(default_factory=list)
    cleared: list[dict[str, Any]] = field(default_factory=list)
    causes_opened: list[dict[str, Any]] = field(default_factory=list)
    causes_cleared: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Triggers:
    """Changed observations sorted by what they touch (pure)."""

    scope: Scope = field(default_factory=Scope)
    transceivers: set[str] = field(default_factory=set)
    route_pairs: set[tuple[str, str]] = field(default_factory=set)
    reachability: set[str] = field(default_factory=set)


def _reachable(text: str | None) -> bool | None:
    return None if text is None else bool(json.loads(text)["reachable"])


def triggers(changes: Iterable[Change]) -> _Triggers:
    out = _Triggers()
    for c in changes:
        if c.kind in (K.DEVICE, K.CONFIG, K.DAEMONS):
            out.scope.systems.add(c.subject)
            if c.kind is K.DEVICE and _reachable(c.old) != _reachable(c.value):
                out.reachability.add(c.subject)
        elif c.kind in (K.INTERFACE, K.LLDP):
            out.scope.interfaces.add(c.subject)
        elif c.kind is K.OPTICS:
            out.transceivers.add(c.subject)
        elif c.kind is K.BGP:
            out.scope.sessions.add(c.subject)
        elif c.kind is K.ROUTE:
            out.route_pairs.add((c.observer, c.subject))
    return out


def scope_of(graph: Graph, bp: str, changes: Iterable[Change]) -> Scope:
    found = triggers(changes)
    scope = found.scope
    if found.transceivers:
        scope.interfaces |= expectations.interfaces_of_transceivers(graph, bp, found.transceivers)
    if found.route_pairs:
        scope.sessions |= expectations.sessions_between(graph, bp, found.route_pairs)
    if found.reachability:  # what the device observes is now (un)trusted
        extra = expectations.system_scope(graph, bp, found.reachability)
        scope.interfaces |= extra.interfaces
        scope.sessions |= extra.sessions
    return scope


def verdicts(graph: Graph, bp: str, scope: Scope, now: float) -> list[Verdict]:
    found: list[Verdict] = []
    fetched = expectations.facts(graph, bp, scope)
    for m in fetched.systems:
        found += evaluate_system(m)
    for f in fetched.interfaces:
        found += evaluate_interface(f, now)
    for s in fetched.sessions:
        found += evaluate_session(s)
    for u in fetched.unused:
        found += evaluate_unused_port(u)
    return found


def evaluate_scope(
    graph: Graph, redis: Publisher, bp: str, scope: Scope, now: float | None = None
) -> Outcome:
    now = time.time() if now is None else now
    return apply_verdicts(graph, redis, bp, verdicts(graph, bp, scope, now), now)


def apply_verdicts(
    graph: Graph, redis: Publisher, bp: str, found: Sequence[Verdict], now: float
) -> Outcome:
    """Raise, refresh and clear the anomalies ``found`` says (against what is stored,
    read in the transaction that writes them)."""
    uids = sorted({v.uid(bp) for v in found})
    if not uids:
        return Outcome()
    return _apply(
        graph,
        redis,
        bp,
        lambda tx: anomalies.plan(bp, found, anomalies.current_states_in(graph, tx, uids)),
        now,
    )


def apply_plan(
    graph: Graph, redis: Publisher, bp: str, todo: anomalies.Plan, now: float
) -> Outcome:
    """Write ``todo``, publish its events and regroup root causes when anomalies were
    raised or cleared."""
    if not todo:
        return Outcome()
    return _apply(graph, redis, bp, lambda tx: todo, now)


# evaluations of one blueprint write its anomalies and regroup its root causes from
# what they read: two committing side by side (an event's facts and a round's) would
# each regroup without the other's anomalies, so each takes the blueprint's write lock
# first and the later one reads what the earlier one committed
EVALUATION_LOCK = Query(
    "telemetry.evaluation.lock",
    "MATCH (b:Blueprint {name: $bp}) SET b._evaluating = true REMOVE b._evaluating",
)


def _apply(
    graph: Graph,
    redis: Publisher,
    bp: str,
    planned: Callable[[Tx], anomalies.Plan],
    now: float,
) -> Outcome:
    """The plan ``planned`` makes in the transaction, written there with the root causes
    it implies (the regrouping reads the anomalies just written): one transaction; the
    events once it is committed."""

    def work(tx: Tx) -> tuple[anomalies.Plan, causes.CausePlan | None]:
        graph.run(tx, EVALUATION_LOCK, bp=bp)
        todo = planned(tx)
        if not todo:
            return todo, None
        anomalies.write_in(graph, tx, bp, todo, now)
        regroup = todo.raised or todo.clear
        return todo, causes.regroup_in(graph, tx, bp, now) if regroup else None

    todo, regrouped = graph.write_tx(work)
    outcome = Outcome()
    if not todo:
        return outcome
    anomalies.publish_events(redis, bp, todo)
    outcome.raised = [anomalies.event(bp, r, "raised") for r in todo.raised]
    outcome.cleared = [anomalies.event(bp, r, "cleared") for r in todo.clear]
    if regrouped is not None:
        published = causes.published(redis, bp, regrouped)
        outcome.causes_opened, outcome.causes_cleared = published.opened, published.cleared
    return outcome


def evaluate_changes(
    graph: Graph, redis: Publisher, bp: str, changes: Sequence[Change], now: float | None = None
) -> Outcome:
    """Evaluate the expectations that depend on ``changes`` (and nothing else); the
    overlay's of the leafs whose ``evpn`` or device fact changed (``telemetry.overlay_engine``)."""
    scope = scope_of(graph, bp, changes)
    leafs = overlay_engine.touched(changes)
    if not leafs:
        return evaluate_scope(graph, redis, bp, scope, now) if scope else Outcome()
    now = time.time() if now is None else now
    found = verdicts(graph, bp, scope, now) if scope else []
    found += overlay_engine.verdicts(graph, bp, leafs)
    return apply_verdicts(graph, redis, bp, found, now)


def reevaluate(
    graph: Graph,
    redis: Publisher,
    bp: str,
    systems: Iterable[str] | None = None,
    now: float | None = None,
) -> Outcome:
    """Level-triggered sweep: every switch of ``bp`` (or just ``systems``) and what it
    observes and is peered with. Call it after lifecycle changes (drain, accepted
    deviation, deployment) and periodically: a lost event costs latency, never
    correctness."""
    ids = set(systems) if systems is not None else expectations.all_switches(graph, bp)
    scope = expectations.system_scope(graph, bp, ids)
    scope.systems |= ids
    now = time.time() if now is None else now
    found = verdicts(graph, bp, scope, now) + overlay_engine.verdicts(graph, bp)
    return apply_verdicts(graph, redis, bp, found, now)
