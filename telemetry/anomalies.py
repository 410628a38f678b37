"""Anomalies in the graph: the pure plan (verdicts vs stored state) and its writes.

``(:Anomaly {uid, blueprint, type, subject, device, state, expected, suppressed,
expected_value, actual_value, summary, first_seen, last_seen, cleared_at})-[:ON]->
(intent node)``; see docs/telemetry-model.md. Raised and cleared anomalies each
publish one ``anomaly`` event.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from blueprint_engine.events import EventKind, Publisher, publish
from blueprint_engine.graph.db import Graph, Query, Tx
from telemetry.evaluate import Verdict

ON_LABELS = ("System", "Interface", "BgpSession", "Transceiver", "VirtualNetwork", "RoutingZone")

CURRENT = Query(
    "telemetry.anomalies.current",
    """
    UNWIND $uids AS uid
    MATCH (a:Anomaly {uid: uid})
    RETURN a.uid AS uid, a.state AS state, a.expected AS expected,
           a.suppressed AS suppressed, a.actual_value AS actual_value
    """,
)


def node_by_label(labels: tuple[str, ...]) -> str:
    """A subquery binding ``n`` to the intent node row ``r`` points at (``r.on_label``,
    ``r.subject``): one branch per label, each an index seek, so one statement serves
    rows of every label. Labels are schema names, never values."""
    branches = "\n        UNION\n".join(
        f"        WITH r WITH r WHERE r.on_label = '{label}'\n"
        f"        MATCH (n:{label} {{uid: $bp + '/' + r.subject}}) RETURN n"
        for label in labels
    )
    return f"CALL {{\n{branches}\n    }}"


UPSERT = Query(
    "telemetry.anomalies.raise",
    f"""
    UNWIND $rows AS r
    {node_by_label(ON_LABELS)}
    MERGE (a:Anomaly {{uid: r.uid}})
    ON CREATE SET a.blueprint = $bp, a.type = r.type, a.subject = r.subject,
                  a.device = r.device, a.first_seen = $now
    SET a.first_seen = CASE WHEN a.state = 'raised' THEN a.first_seen ELSE $now END,
        a.state = 'raised', a.cleared_at = null, a.last_seen = $now,
        a.expected = r.expected, a.suppressed = r.suppressed,
        a.expected_value = r.expected_value, a.actual_value = r.actual_value,
        a.summary = r.summary, a.probe = r.probe, a.probe_type = r.probe_type,
        a.severity = r.severity
    MERGE (a)-[:ON]->(n)
    """,
)
CLEAR = Query(
    "telemetry.anomalies.clear",
    """
    UNWIND $uids AS uid
    MATCH (a:Anomaly {uid: uid}) WHERE a.state = 'raised'
    SET a.state = 'cleared', a.cleared_at = datetime({epochMillis: toInteger($now * 1000)}),
        a.last_seen = $now
    """,
)


@dataclass
class Plan:
    """What to write: rows to raise or refresh, uids to clear, and which changed state."""

    upsert: list[dict[str, Any]] = field(default_factory=list)
    clear: list[dict[str, Any]] = field(default_factory=list)
    raised: list[dict[str, Any]] = field(default_factory=list)  # newly raised / flags changed

    def __bool__(self) -> bool:
        return bool(self.upsert or self.clear)


def _json(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


def _row(bp: str, v: Verdict) -> dict[str, Any]:
    row = _base_row(bp, v)
    if v.probe is not None:  # a probe's anomaly: which probe, its type and severity
        row.update(probe=v.probe, probe_type=v.probe_type, severity=v.severity)
    return row


def _base_row(bp: str, v: Verdict) -> dict[str, Any]:
    return {
        "uid": v.uid(bp),
        "type": v.type.value,
        "subject": v.subject,
        "device": v.device,
        "on_label": v.on_label,
        "expected": v.expected,
        "suppressed": v.suppressed,
        "expected_value": _json(v.expected_value),
        "actual_value": _json(v.actual_value),
        "summary": v.summary,
    }


def plan(bp: str, verdicts: Iterable[Verdict], current: Mapping[str, Mapping[str, Any]]) -> Plan:
    """Pure: raise broken expectations, clear held ones, leave unknown ones as they are."""
    out = Plan()
    rows: dict[str, dict[str, Any]] = {}
    for v in verdicts:
        if v.broken is not None:
            rows[v.uid(bp)] = {**_row(bp, v), "broken": v.broken}
    for uid, row in sorted(rows.items()):
        stored = current.get(uid)
        held = stored is not None and stored["state"] == "raised"
        broken = row.pop("broken")
        if broken:
            out.upsert.append(row)
            flags = (row["expected"], row["suppressed"], row["actual_value"])
            if (
                not held
                or stored is None
                or flags != (stored["expected"], stored["suppressed"], stored["actual_value"])
            ):
                out.raised.append(row)
        elif held:
            out.clear.append(row)
    return out


def current_states_in(graph: Graph, tx: Tx, uids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The stored state of the anomalies ``uids`` (those that exist), read in ``tx``."""
    if not uids:
        return {}
    return {r["uid"]: r for r in graph.run(tx, CURRENT, uids=list(uids))}


def write_in(graph: Graph, tx: Tx, bp: str, todo: Plan, now: float) -> None:
    """Write ``todo`` in the caller's transaction ``tx``."""
    if todo.upsert:
        graph.run(tx, UPSERT, bp=bp, rows=todo.upsert, now=now)
    if todo.clear:
        graph.run(tx, CLEAR, uids=[r["uid"] for r in todo.clear], now=now)


def event(bp: str, row: Mapping[str, Any], state: str) -> dict[str, Any]:
    return {
        "blueprint": bp,
        "uid": row["uid"],
        "type": row["type"],
        "state": state,
        "device": row["device"],
        "subject": row["subject"],
        "expected": row["expected"],
        "suppressed": row["suppressed"],
        "summary": row["summary"],
        **{k: row[k] for k in ("probe", "probe_type", "severity") if row.get(k) is not None},
    }


def publish_events(redis: Publisher, bp: str, todo: Plan) -> None:
    for row in todo.raised:
        publish(redis, EventKind.ANOMALY, event(bp, row, "raised"))
    for row in todo.clear:
        publish(redis, EventKind.ANOMALY, event(bp, row, "cleared"))
