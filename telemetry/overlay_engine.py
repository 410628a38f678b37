"""The overlay's verdicts of a blueprint, read from the graph (``telemetry.overlay``).

Three statements: the overlay's intent (``telemetry.overlay_intent``: nothing more on a
blueprint without EVPN), the ``device`` and ``evpn`` observations of its leafs (by uid)
and the overlay anomalies raised now (to clear those no verdict speaks of any more).
``telemetry.engine`` adds the verdicts of the leafs whose ``evpn`` or ``device`` fact
changed (``touched``: a leaf's verdicts read only its own observations) to an
evaluation, and those of every leaf to each level-triggered sweep, so they are written,
and root causes regrouped, in the same transaction as the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from blueprint_engine.graph.db import Graph, Query
from telemetry import overlay, overlay_intent
from telemetry.evaluate import Verdict
from telemetry.expectations import OBSERVED
from telemetry.model import ObservationKind, observation_uid

if TYPE_CHECKING:
    from telemetry.ingest import Change

RAISED = Query(
    "telemetry.overlay.raised",
    """
    MATCH (a:Anomaly {blueprint: $bp, state: 'raised'}) WHERE a.type IN $types
    RETURN a.uid AS uid, a.type AS type, a.subject AS subject, a.device AS device
    """,
)
KINDS = (ObservationKind.DEVICE, ObservationKind.EVPN)


def touched(changes: Iterable[Change]) -> set[str]:
    """The leafs whose overlay verdicts ``changes`` can change: the observers of an
    ``evpn`` fact, or of a device fact (reachability: what a leaf observes is (un)trusted
    from now on). A leaf's verdicts read its own observations only."""
    return {c.observer for c in changes if c.kind in KINDS}


def verdicts(graph: Graph, bp: str, systems: Iterable[str] | None = None) -> list[Verdict]:
    """The overlay verdicts of ``bp``'s leafs (or of those of ``systems``), and clearing
    ones for their raised overlay anomalies no verdict speaks of; empty without an EVPN
    overlay."""
    types = [t.value for t in overlay.TYPES]
    every = overlay_intent.leafs(graph, bp)
    judged = set(every) if systems is None else set(systems) & set(every)
    mine = set(every) if systems is None else set(systems)

    def stale(found: list[Verdict]) -> list[Verdict]:
        raised = [r for r in graph.read(RAISED, bp=bp, types=types) if r["device"] in mine]
        return overlay.stale(bp, found, raised)

    if not judged:
        return stale([])
    uids = [observation_uid(bp, k, s, s) for s in sorted(judged) for k in KINDS]
    rows = graph.read(OBSERVED, uids=uids)
    values: dict[str, Any] = {r["uid"]: json.loads(r["value"]) for r in rows}
    seen = {
        kind: {
            s: values[observation_uid(bp, kind, s, s)]
            for s in judged
            if observation_uid(bp, kind, s, s) in values
        }
        for kind in KINDS
    }
    leafs = {s: every[s] for s in judged}
    found = overlay.evaluate(leafs, seen[ObservationKind.DEVICE], seen[ObservationKind.EVPN], every)
    return found + stale(found)
