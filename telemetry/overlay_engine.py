"""The overlay's verdicts of a blueprint, read from the graph (``telemetry.overlay``).

Three statements: the overlay's intent (``telemetry.overlay_intent``: nothing more on a
blueprint without EVPN), the ``device`` and ``evpn`` observations of its leafs (by uid)
and the overlay anomalies raised now (to clear those no verdict speaks of any more).
``telemetry.engine`` adds these verdicts to an evaluation when an ``evpn`` observation
or a device's reachability changed (``touched``) and to every level-triggered sweep, so
they are written, and root causes regrouped, in the same transaction as the rest.
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


def touched(changes: Iterable[Change]) -> bool:
    """Whether ``changes`` can change an overlay verdict: an ``evpn`` fact, or a device
    fact (reachability: what a leaf observes is (un)trusted from now on)."""
    return any(c.kind in KINDS for c in changes)


def verdicts(graph: Graph, bp: str) -> list[Verdict]:
    """Every overlay verdict of ``bp``, and clearing ones for raised overlay anomalies no
    verdict speaks of; empty without an EVPN overlay."""
    types = [t.value for t in overlay.TYPES]
    leafs = overlay_intent.leafs(graph, bp)
    if not leafs:
        raised = graph.read(RAISED, bp=bp, types=types)
        return overlay.stale(bp, [], raised)
    uids = [observation_uid(bp, k, s, s) for s in sorted(leafs) for k in KINDS]
    rows = graph.read(OBSERVED, uids=uids)
    values: dict[str, Any] = {r["uid"]: json.loads(r["value"]) for r in rows}
    seen = {
        kind: {
            s: values[observation_uid(bp, kind, s, s)]
            for s in leafs
            if observation_uid(bp, kind, s, s) in values
        }
        for kind in KINDS
    }
    found = overlay.evaluate(leafs, seen[ObservationKind.DEVICE], seen[ObservationKind.EVPN])
    return found + overlay.stale(bp, found, graph.read(RAISED, bp=bp, types=types))
