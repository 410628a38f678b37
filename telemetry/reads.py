"""Read queries behind the telemetry API and CLI: anomalies, root causes, history.

Lists filter and page in Cypher (keyset pagination on ``uid``); children (a root
cause's symptoms, an anomaly's root cause) are loaded for many parents in one
statement, so a nested read costs one query per level.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from blueprint_engine.errors import NotFoundError, ValidationError
from blueprint_engine.graph.db import Graph, Query, Row
from telemetry.evaluate import AnomalyType
from telemetry.model import parse_kind

ANOMALY_FIELDS = """
    a {.uid, .blueprint, .type, .subject, .device, .state, .expected, .suppressed,
       .expected_value, .actual_value, .summary, .first_seen, .last_seen,
       .probe, .probe_type, .severity, cleared_at: toString(a.cleared_at)}"""


def _cause_fields(at: str) -> str:
    return f"""
    c {{.uid, .blueprint, .kind, .subject, .state, .summary, .evidence, .first_seen,
       .last_seen, cleared_at: toString(c.cleared_at), at: {at}}}"""


ANOMALIES = Query(
    "telemetry.reads.anomalies",
    f"""
    MATCH (a:Anomaly)
    WHERE a.blueprint = $bp
      AND ($state IS NULL OR a.state = $state)
      AND ($device IS NULL OR a.device = $device)
      AND ($type IS NULL OR a.type = $type)
      AND ($after IS NULL OR a.uid > $after)
    RETURN {ANOMALY_FIELDS} AS row
    ORDER BY a.uid LIMIT $limit
    """,
)
ROOT_CAUSES = Query(
    "telemetry.reads.root_causes",
    f"""
    MATCH (c:RootCause)
    WHERE c.blueprint = $bp AND ($state IS NULL OR c.state = $state)
    OPTIONAL MATCH (c)-[:CAUSED_AT]->(n)
    WITH c, collect({{label: labels(n)[0], id: n.id}}) AS at
    RETURN {_cause_fields("at")} AS row
    ORDER BY c.uid LIMIT $limit
    """,
)
SYMPTOMS_OF = Query(
    "telemetry.reads.symptoms_of",
    f"""
    UNWIND $uids AS uid
    MATCH (c:RootCause {{uid: uid}})-[:EXPLAINS]->(a:Anomaly)
    RETURN uid AS parent, {ANOMALY_FIELDS} AS row
    ORDER BY a.uid
    """,
)
CAUSES_OF = Query(
    "telemetry.reads.causes_of",
    f"""
    UNWIND $uids AS uid
    MATCH (c:RootCause)-[:EXPLAINS]->(:Anomaly {{uid: uid}})
    RETURN uid AS parent, {_cause_fields("[]")} AS row
    ORDER BY c.state DESC, c.last_seen DESC
    """,
)
HISTORY = Query(
    "telemetry.reads.history",
    """
    MATCH (o:Observation)
    WHERE o.blueprint = $bp AND o.subject = $subject AND ($kind IS NULL OR o.kind = $kind)
    MATCH (o)-[:HAD]->(s:Sample)
    RETURN {kind: o.kind, observer: o.observer, subject: o.subject, value: s.value,
            at: s.at} AS row
    ORDER BY row.at DESC, row.observer
    LIMIT $limit
    """,
)
BLUEPRINT_EXISTS = Query(
    "telemetry.reads.blueprint", "MATCH (b:Blueprint {name: $bp}) RETURN b.name AS name"
)

MAX_PAGE = 1000
ANOMALY_STATES = ("raised", "cleared")
CAUSE_STATES = ("open", "cleared")


def encode_cursor(uid: str) -> str:
    return base64.urlsafe_b64encode(uid.encode()).decode()


def decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValidationError(
            f"cursor {cursor!r} is not one this API returned",
            allowed="the endCursor of a previous page",
        ) from None


def _check_blueprint(graph: Graph, bp: str) -> None:
    if not graph.read(BLUEPRINT_EXISTS, bp=bp):
        raise NotFoundError(f"no blueprint named {bp!r}", allowed="an existing blueprint name")


def _check_choice(name: str, value: str | None, allowed: Sequence[str]) -> None:
    if value is not None and value not in allowed:
        raise ValidationError(f"unknown {name} {value!r}", allowed=list(allowed))


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    end_cursor: str | None
    has_next: bool


def anomalies(
    graph: Graph,
    bp: str,
    *,
    device: str | None = None,
    type: str | None = None,
    state: str | None = None,
    first: int = 100,
    after: str | None = None,
) -> Page:
    _check_choice("anomaly type", type, [t.value for t in AnomalyType])
    _check_choice("anomaly state", state, ANOMALY_STATES)
    if not 0 < first <= MAX_PAGE:
        raise ValidationError(f"first={first} is out of range", allowed=f"1..{MAX_PAGE}")
    _check_blueprint(graph, bp)
    rows = graph.read(
        ANOMALIES,
        bp=bp,
        device=device,
        type=type,
        state=state,
        after=decode_cursor(after) if after else None,
        limit=first + 1,
    )
    found = [r["row"] for r in rows]
    page = found[:first]
    end = encode_cursor(page[-1]["uid"]) if page else None
    return Page(page, end, len(found) > first)


def root_causes(graph: Graph, bp: str, *, state: str | None = None, limit: int = 200) -> list[Row]:
    _check_choice("root cause state", state, CAUSE_STATES)
    _check_blueprint(graph, bp)
    return [r["row"] for r in graph.read(ROOT_CAUSES, bp=bp, state=state, limit=limit)]


def grouped(graph: Graph, query: Query, uids: Sequence[str]) -> list[list[Row]]:
    """Children of every parent uid, in the parents' order (one statement for all)."""
    found: dict[str, list[Row]] = defaultdict(list)
    for r in graph.read(query, uids=list(uids)):
        found[r["parent"]].append(r["row"])
    return [found.get(uid, []) for uid in uids]


def history(
    graph: Graph, bp: str, subject: str, kind: str | None = None, limit: int = 100
) -> list[Row]:
    if not 0 <= limit <= 10_000:
        raise ValidationError(f"limit {limit} is out of range", allowed="0..10000")
    if kind is not None:
        parse_kind(kind)
    _check_blueprint(graph, bp)
    rows = graph.read(HISTORY, bp=bp, subject=subject, kind=kind, limit=limit)
    return [r["row"] for r in rows]


def as_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


AROUND_CHANGE = Query(
    "telemetry.around_change",
    f"""
    MATCH (:Blueprint {{name: $bp}})-[:HAS_REVISION]->(r:Revision {{number: $revision}})
    WITH r, r.at.epochMillis / 1000.0 AS t
    OPTIONAL MATCH (a:Anomaly {{blueprint: $bp}})
    WITH r, t, a, a.cleared_at.epochMillis / 1000.0 AS cleared
    WITH r, t, a,
         a.first_seen <= t AND (cleared IS NULL OR cleared > t) AS open_before,
         a.first_seen <= t + $window AND (cleared IS NULL OR cleared > t + $window) AS open_after
    WITH r, t, collect(CASE WHEN open_before THEN {ANOMALY_FIELDS} END) AS before,
         collect(CASE WHEN open_after THEN {ANOMALY_FIELDS} END) AS after
    CALL {{
      WITH t
      OPTIONAL MATCH (c:RootCause {{blueprint: $bp}})
      WITH t, c, c.cleared_at.epochMillis / 1000.0 AS cleared
      WITH c, c.first_seen <= t AND (cleared IS NULL OR cleared > t) AS open_before,
           c.first_seen <= t + $window AND (cleared IS NULL OR cleared > t + $window) AS open_after
      RETURN collect(CASE WHEN open_before THEN c {{.uid, .evidence}} END) AS causes_before,
             collect(CASE WHEN open_after THEN c {{.uid, .evidence}} END) AS causes_after
    }}
    RETURN r.number AS revision, toString(r.at) AS at, t AS at_epoch, before, after,
           causes_before, causes_after
    """,
)


@dataclass(frozen=True)
class ChangeWindow:
    revision: int
    at: str
    at_epoch: float
    window_s: float
    before: list[Row]  # anomalies open when the revision was committed
    after: list[Row]  # anomalies open window_s later
    vms: list[Row] = field(default_factory=list)  # VMs hurt or restored in between


def vms_affected(
    before: Sequence[Row],
    after: Sequence[Row],
    causes_before: Sequence[Row],
    causes_after: Sequence[Row],
) -> list[Row]:
    """Pure: the VMs the window changed for: those in the ``impacted_vms`` of a root cause
    open after but not before (``hurt``) or before but not after (``restored``), and the
    VMs of ``vm_network_missing`` anomalies raised or cleared in between."""
    out: dict[str, Row] = {}
    for change, now, then in (("hurt", causes_after, causes_before),
                              ("restored", causes_before, causes_after)):  # fmt: skip
        for c in _only_in(now, then):
            for v in (as_json(c.get("evidence")) or {}).get("impacted_vms", ()):
                out.setdefault(
                    v["vm"], _vm(v["vm"], v["server"], v["networks"], v["status"], change)
                )
    for change, now, then in (("hurt", after, before), ("restored", before, after)):
        for a in _only_in(now, then):
            vm = (
                (as_json(a.get("actual_value")) or {}).get("vm")
                if a.get("type") == _MISSING
                else None
            )
            if vm:
                out.setdefault(vm, _vm(vm, a.get("device"), [], _MISSING, change))
    return sorted(out.values(), key=lambda v: str(v["id"]))


_MISSING = AnomalyType.VM_NETWORK_MISSING.value


def _only_in(rows: Sequence[Row], others: Sequence[Row]) -> list[Row]:
    other = {r["uid"] for r in others}
    return [r for r in rows if r["uid"] not in other]


def _vm(vm: str, server: Any, networks: Sequence[str], effect: str, change: str) -> Row:
    return {"id": vm, "server": server, "networks": sorted(networks), "effect": effect,
            "change": change}  # fmt: skip


def around_change(graph: Graph, bp: str, revision: int, window_s: float = 300.0) -> ChangeWindow:
    """Anomalies open at a commit and ``window_s`` after it: what the change broke or fixed.

    Built from each anomaly's first-seen and cleared times; an anomaly raised again later
    keeps only its latest first-seen time, so an older episode of it is not shown.
    """
    _check_blueprint(graph, bp)
    if window_s <= 0:
        raise ValidationError(f"window_s must be positive, got {window_s}", allowed="> 0 s")
    rows = graph.read(AROUND_CHANGE, bp=bp, revision=revision, window=window_s)
    if not rows:
        raise NotFoundError(
            f"blueprint {bp!r} has no revision {revision}", allowed="a committed revision number"
        )
    row = rows[0]
    vms = vms_affected(row["before"], row["after"], row["causes_before"], row["causes_after"])
    return ChangeWindow(
        row["revision"], row["at"], row["at_epoch"], window_s, row["before"], row["after"], vms
    )
