"""Write observations into the graph in batches, then evaluate what they changed.

The one entry point collectors call::

    from telemetry.ingest import ingest
    from telemetry.model import Observation, ObservationKind

    result = ingest(graph, redis_client, [
        Observation("bp1", ObservationKind.INTERFACE, "leaf1", "leaf1:swp1",
                    {"oper_up": True, "admin_up": True}, time.time()),
        ...
    ])
    result.changed          # observations whose value changed (or were new)
    result.anomalies_raised # anomalies raised by those changes (dicts, see docs)

What it does, per blueprint, per batch of at most ``BATCH`` observations, in one
transaction: one statement checks the observers and reads their digests
(``telemetry.digest``); an observer whose facts equal its digest's, none due for a
refresh, costs nothing more (a repeated round is one read). For the other observers
(their digests write-locked first, in one order), one ``UNWIND`` statement compares
their facts with what the graph holds
(``uid = <bp>/<kind>/<observer>/<subject>``) and returns only the facts that are new,
changed or due for a refresh; the facts that are new or changed go
to one ``UNWIND`` statement (all kinds), which upserts the ``Observation`` nodes,
writes a ``Sample`` on change and keeps at most ``policy.max_samples`` samples per
observation (new observations are tied to their intent node by one statement per
kind); unchanged facts only get their ``observed_at`` refreshed, at most
every ``policy.refresh_s`` (one statement for all); their digests are rewritten
(fingerprint, oldest time, observation counts per kind). Then one ``telemetry`` event
is published for the batch (never one per observation). Samples, cleared anomalies
and cleared root causes older than ``policy.max_age_s`` are pruned by a call that
changed something, at most once per ``policy.prune_every_s`` per blueprint (a
Redis key with that expiry is the throttle; losing it only prunes earlier).

After each batch, only the expectations that depend on its changed observations
are evaluated (``telemetry.engine``): anomalies are raised/cleared and root
causes regrouped, each publishing ``anomaly`` / ``root_cause`` events. A fault is
thus visible once its batch is written, not when a large call ends.

Bad input (unknown kind, malformed value, unknown blueprint, observer or
subject) raises ``ValidationError`` naming it, and nothing of that call's
batch is written.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from neo4j import ManagedTransaction

from blueprint_engine.errors import NotFoundError, ValidationError
from blueprint_engine.events import EventKind, Publisher, publish
from blueprint_engine.graph.db import Graph
from telemetry import digest
from telemetry import observation_queries as q
from telemetry.model import (
    SUBJECT_LABEL,
    Observation,
    ObservationKind,
    canonical_json,
    check,
    observation_uid,
)

BATCH = 5000
SUBJECTS_IN_EVENT = 200


class EventBus(Publisher, Protocol):
    """What ingestion needs from Redis: publish events, and a key as prune throttle."""

    def set(self, name: str, value: str, *, ex: int | None = None, nx: bool = False) -> Any: ...


PRUNE_KEY = "fabricgraph:telemetry:pruned:"


@dataclass(frozen=True)
class RetentionPolicy:
    """History bounds: samples per observation, and how old history may get."""

    max_samples: int = 20
    max_age_s: float = 7 * 24 * 3600.0
    prune_limit: int = 10_000  # rows removed per call at most (the rest next time)
    prune_every_s: float = 60.0
    # an unchanged observation's observed_at is rewritten at most this often
    refresh_s: float = 30.0


@dataclass(frozen=True)
class Change:
    """One observation whose value changed (``old`` is None when it is new)."""

    blueprint: str
    kind: ObservationKind
    observer: str
    subject: str
    old: str | None
    value: str


@dataclass
class IngestResult:
    observations: int = 0
    changes: list[Change] = field(default_factory=list)
    samples_dropped: int = 0
    anomalies_raised: list[dict[str, Any]] = field(default_factory=list)
    anomalies_cleared: list[dict[str, Any]] = field(default_factory=list)
    root_causes_opened: list[dict[str, Any]] = field(default_factory=list)
    root_causes_cleared: list[dict[str, Any]] = field(default_factory=list)
    write_seconds: float = 0.0
    evaluate_seconds: float = 0.0

    @property
    def changed(self) -> int:
        return len(self.changes)


def _by_blueprint(observations: Iterable[Observation]) -> dict[str, list[Observation]]:
    grouped: dict[str, list[Observation]] = defaultdict(list)
    for observation in observations:
        checked = check(observation)
        grouped[checked.blueprint].append(checked)
    return grouped


def _check_observers(
    graph: Graph, tx: ManagedTransaction, bp: str, observers: Iterable[str]
) -> dict[str, digest.Held]:
    """Raise unless every observer is a switch of ``bp``; their digests."""
    rows = graph.run(tx, q.BLUEPRINT_SYSTEMS, bp=bp, ids=sorted(set(observers)))
    if rows and not rows[0]["blueprint"]:
        raise NotFoundError(
            f"observations name blueprint {bp!r}, which does not exist",
            allowed="an existing blueprint name",
        )
    unknown = [r["id"] for r in rows if not r["known"]]
    servers = [r["id"] for r in rows if r["known"] and r["role"] == "server"]
    if unknown or servers:
        raise ValidationError(
            f"observers {unknown + servers} are not switches of blueprint {bp!r}",
            allowed="system ids of the blueprint's spines and leafs",
        )
    return {r["id"]: digest.Held(r["fingerprint"], r["oldest_ms"]) for r in rows}


def _rows(batch: Sequence[Observation]) -> dict[str, list[dict[str, Any]]]:
    """The batch's rows by observer, one per fact (the same fact twice in one batch: the
    later one wins)."""
    by_uid: dict[str, dict[str, Any]] = {}
    for o in batch:
        observer = o.observer
        uid = f"{o.blueprint}/{o.kind.value}/{observer}/{o.subject}"
        by_uid[uid] = {
            "uid": uid,
            "kind": o.kind.value,
            "observer": observer,
            "subject": o.subject,
            "value": canonical_json(o.value),
            "at": float(o.observed_at),
        }
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in by_uid.values():
        grouped[row["observer"]].append(row)
    return grouped


def triage(
    rows: Sequence[dict[str, Any]], due: Sequence[bool | None]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Pure: split the rows the first pass triaged (``due``: True new or changed, False
    due for a refresh, None nothing) into those needing the write and those only
    needing a refresh of ``observed_at``; every other row (unchanged and fresh, or
    older than what the graph holds) costs nothing more."""
    write: list[dict[str, Any]] = []
    touch: list[dict[str, Any]] = []
    for row, changed in zip(rows, due, strict=True):
        if changed is True:
            write.append(row)
        elif changed is False:
            touch.append(row)
    return write, touch


def _digest_rows(
    settled: Mapping[str, list[dict[str, Any]]],
    triaged: Mapping[str, list[digest.Triaged]],
    locked: Sequence[dict[str, Any]],
    created: Mapping[str, int],
) -> list[dict[str, Any]]:
    """Pure: the new digest of each triaged observer (``created``: new observations by
    uid's observer and kind, ``observer/kind``)."""
    out = []
    for r in locked:
        observer = r["id"]
        rows, results = settled[observer], triaged[observer]
        held = digest.after(rows, results)
        counts = digest.Counts.of(r["kinds"], r["counts"], r["newest_ms"])
        for row, t in zip(rows, results, strict=True):
            if t.due is not None:
                counts.add(row["kind"], 0, int(row["at"] * 1000))
        for kind in sorted({row["kind"] for row in rows}):
            counts.add(kind, created.get(f"{observer}/{kind}", 0), 0)
        kinds, n, newest = counts.lists()
        out.append(
            {
                "id": observer,
                "fingerprint": held.fingerprint,
                "oldest_ms": held.oldest_ms,
                "kinds": kinds,
                "counts": n,
                "newest_ms": newest,
            }
        )
    return out


def _link(graph: Graph, tx: ManagedTransaction, bp: str, new: list[Change]) -> None:
    by_kind: dict[ObservationKind, list[dict[str, str]]] = defaultdict(list)
    for c in new:
        by_kind[c.kind].append(
            {"uid": observation_uid(bp, c.kind, c.observer, c.subject), "subject": c.subject}
        )
    for kind, rows in by_kind.items():
        unknown = [
            r["subject"] for r in graph.run(tx, q.LINK[kind], bp=bp, rows=rows) if r["unknown"]
        ]
        if unknown:
            raise NotFoundError(
                f"{kind.value} observations name subjects {unknown[:10]} that are not "
                f"intent nodes of blueprint {bp!r}",
                allowed=f"ids of the blueprint's {SUBJECT_LABEL[kind]} nodes",
            )


def _first_pass(
    graph: Graph, tx: ManagedTransaction, rows: Sequence[dict[str, Any]], refresh_ms: int
) -> list[digest.Triaged]:
    out = graph.run(
        tx,
        q.TRIAGE,
        uids=[r["uid"] for r in rows],
        values=[r["value"] for r in rows],
        at_ms=[int(r["at"] * 1000) for r in rows],
        refresh_ms=refresh_ms,
    )
    found: list[digest.Triaged] = [digest.Triaged(None, None, False)] * len(rows)
    for r in out:
        found[r["i"]] = digest.Triaged(r["due"], r["last"], bool(r["same"]))
    return found


def _write_batch(
    graph: Graph,
    bp: str,
    batch: Sequence[Observation],
    policy: RetentionPolicy,
    check: Sequence[Observation] = (),
) -> tuple[list[Change], int]:
    """One batch in one transaction; ``check``: observations whose observers are checked
    first, in that transaction (the first batch checks the whole call's). An observer
    whose batch its digest settles (nothing changed, nothing due) costs nothing more;
    the others' facts are triaged one by one under their digests' locks."""
    grouped = _rows(batch)
    refresh_ms = int(policy.refresh_s * 1000)

    def work(tx: ManagedTransaction) -> tuple[list[Change], int]:
        held = _check_observers(graph, tx, bp, [o.observer for o in (check or batch)])
        todo = sorted(
            o for o, rows in grouped.items() if not digest.unchanged(rows, held[o], refresh_ms)
        )
        if not todo:
            return [], 0
        locked = graph.run(tx, q.LOCK_DIGESTS, bp=bp, ids=todo)
        rows = [r for o in todo for r in grouped[o]]
        found = _first_pass(graph, tx, rows, refresh_ms)
        write, touch = triage(rows, [t.due for t in found])
        if touch:
            graph.run(tx, q.TOUCH, rows=touch)
        changes, dropped, created = _write_changed(graph, tx, bp, write, policy)
        triaged: dict[str, list[digest.Triaged]] = defaultdict(list)
        for row, t in zip(rows, found, strict=True):
            triaged[row["observer"]].append(t)
        settled = {o: grouped[o] for o in todo}
        digests = _digest_rows(settled, triaged, locked, created)
        graph.run(tx, q.WRITE_DIGESTS, bp=bp, rows=digests)
        return changes, dropped

    return graph.write_tx(work)


def _write_changed(
    graph: Graph,
    tx: ManagedTransaction,
    bp: str,
    write: list[dict[str, Any]],
    policy: RetentionPolicy,
) -> tuple[list[Change], int, dict[str, int]]:
    """The new and changed facts written; their changes, the samples dropped, and the
    observations created by ``observer/kind``."""
    if not write:
        return [], 0, {}
    out = graph.run(tx, q.WRITE, bp=bp, rows=write, keep=policy.max_samples)
    changes = [
        Change(bp, ObservationKind(r["kind"]), r["observer"], r["subject"], r["old"], r["value"])
        for r in out
    ]
    _link(graph, tx, bp, [c for c, r in zip(changes, out, strict=True) if r["new"]])
    created: dict[str, int] = defaultdict(int)
    for r in out:
        if r["new"]:
            created[f"{r['observer']}/{r['kind']}"] += 1
    return changes, sum(int(r["dropped"]) for r in out), created


def _telemetry_event(
    redis: Publisher, bp: str, batch: Sequence[Observation], changes: Sequence[Change]
) -> None:
    kinds: dict[str, int] = defaultdict(int)
    for o in batch:
        kinds[o.kind.value] += 1
    publish(
        redis,
        EventKind.TELEMETRY,
        {
            "blueprint": bp,
            "observations": len(batch),
            "kinds": dict(kinds),
            "changed": len(changes),
            "subjects": sorted({f"{c.kind.value}:{c.subject}" for c in changes})[
                :SUBJECTS_IN_EVENT
            ],
        },
    )


def prune(graph: Graph, bp: str, policy: RetentionPolicy, now: float | None = None) -> int:
    """Drop history, cleared anomalies and cleared root causes older than the policy."""
    cutoff = (now if now is not None else time.time()) - policy.max_age_s
    dropped = graph.write(q.PRUNE_SAMPLES, bp=bp, cutoff=cutoff, limit=policy.prune_limit)
    cleared = graph.write(
        q.PRUNE_CLEARED, bp=bp, cutoff_ms=int(cutoff * 1000), limit=policy.prune_limit
    )
    return int(dropped[0]["dropped"]) + int(cleared[0]["dropped"])


def ingest(
    graph: Graph,
    redis: EventBus,
    observations: Iterable[Observation],
    *,
    policy: RetentionPolicy | None = None,
    evaluate: bool = True,
) -> IngestResult:
    """Write ``observations``; evaluate the expectations their changes touch (see module doc)."""
    from telemetry import engine  # evaluation sits on top of ingestion
    from telemetry.probes import evaluate as probes

    policy = policy or RetentionPolicy()
    result = IngestResult()
    for bp, items in _by_blueprint(observations).items():
        # the facts' own time when it is ahead of this clock (collectors' clocks differ)
        latest = max(o.observed_at for o in items)
        changed = False
        for start in range(0, len(items), BATCH):
            started = time.perf_counter()
            batch = items[start : start + BATCH]
            check = items if start == 0 else ()
            changes, dropped = _write_batch(graph, bp, batch, policy, check)
            result.samples_dropped += dropped
            _telemetry_event(redis, bp, batch, changes)
            result.changes += changes
            result.write_seconds += time.perf_counter() - started
            changed = changed or bool(changes)
            if evaluate and changes:  # per batch: a fault is visible before the call ends
                started = time.perf_counter()
                now = max(time.time(), latest)
                outcome = engine.evaluate_changes(graph, redis, bp, changes, now=now)
                result.anomalies_raised += outcome.raised
                result.anomalies_cleared += outcome.cleared
                result.root_causes_opened += outcome.causes_opened
                result.root_causes_cleared += outcome.causes_cleared
                result.evaluate_seconds += time.perf_counter() - started
        if evaluate:  # every ingest: probes' windows move on even without a change
            started = time.perf_counter()
            now = max(time.time(), latest)
            ours = [c for c in result.changes if c.blueprint == bp]
            outcome = probes.evaluate(graph, redis, bp, ours, now)
            result.anomalies_raised += outcome.raised
            result.anomalies_cleared += outcome.cleared
            result.root_causes_opened += outcome.causes_opened
            result.root_causes_cleared += outcome.causes_cleared
            result.evaluate_seconds += time.perf_counter() - started
        result.observations += len(items)
        due = changed and redis.set(
            PRUNE_KEY + bp, "1", ex=max(1, int(policy.prune_every_s)), nx=True
        )
        if due:
            result.samples_dropped += prune(graph, bp, policy)
    return result
