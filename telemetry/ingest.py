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
(``telemetry.digest``, one per observer and kind); an observer's facts of a kind that
equal its digest's, none due for a refresh, cost nothing more (a repeated round is one
read). For the other facts (their observers' digests write-locked first, in one
order), one ``UNWIND`` statement compares them with what the graph holds
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
) -> dict[str, dict[str, digest.Held]]:
    """Raise unless every observer is a switch of ``bp``; their digests by kind."""
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
    return {
        r["id"]: digest.held_by_kind(r["fp_kinds"], r["fingerprints"], r["fp_oldest_ms"])
        for r in rows
    }


def _rows(batch: Sequence[Observation]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The batch's rows by observer and kind, one per fact (the same fact twice in one
    batch: the later one wins)."""
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
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in by_uid.values():
        grouped[row["observer"]][row["kind"]].append(row)
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
    settled: Mapping[str, Mapping[str, list[dict[str, Any]]]],
    triaged: Mapping[str, list[digest.Triaged]],
    locked: Sequence[dict[str, Any]],
    created: Mapping[str, int],
) -> list[dict[str, Any]]:
    """Pure: the new digest of each triaged observer (``settled``: its triaged rows by
    kind, ``triaged`` their results in that order; ``locked``: its digest as read under
    the lock; ``created``: new observations by ``observer/kind``). The kinds it did not
    triage keep the digests they had."""
    out = []
    for r in locked:
        observer = r["id"]
        held = digest.held_by_kind(r["fp_kinds"], r["fingerprints"], r["fp_oldest_ms"])
        counts = digest.Counts.of(r["kinds"], r["counts"], r["newest_ms"])
        results = iter(triaged[observer])
        for kind, rows in sorted(settled[observer].items()):
            found = [next(results) for _ in rows]
            held[kind] = digest.after(rows, found)
            for row, t in zip(rows, found, strict=True):
                if t.due is not None:
                    counts.add(kind, 0, int(row["at"] * 1000))
            counts.add(kind, created.get(f"{observer}/{kind}", 0), 0)
        kinds, n, newest = counts.lists()
        fp_kinds, fingerprints, fp_oldest = digest.held_lists(held)
        out.append(
            {
                "id": observer,
                "fp_kinds": fp_kinds,
                "fingerprints": fingerprints,
                "fp_oldest_ms": fp_oldest,
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


@dataclass
class Pending:
    """What a batch's digests leave to do: the rows (by observer and kind) they do not
    settle, and of those the kinds (``observer/kind``) whose facts are exactly the ones
    the graph holds, due only for a refresh of ``observed_at``."""

    rows: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    refresh_only: set[str] = field(default_factory=set)


def unsettled(
    grouped: Mapping[str, Mapping[str, list[dict[str, Any]]]],
    held: Mapping[str, Mapping[str, digest.Held]],
    refresh_ms: int,
) -> Pending:
    """Pure: the rows (by observer and kind) that their digests do not settle."""
    out = Pending()
    for observer, kinds in grouped.items():
        ours = held.get(observer, {})
        for kind, rows in kinds.items():
            known = ours.get(kind, digest.Held())
            same = digest.same(rows, known)
            if same and not digest.due(rows, known, refresh_ms):
                continue
            out.rows.setdefault(observer, {})[kind] = rows
            if same:
                out.refresh_only.add(f"{observer}/{kind}")
    return out


def confirmed(
    pending: Pending,
    held: Mapping[str, Mapping[str, digest.Held]],
    locked: Mapping[str, Mapping[str, digest.Held]],
) -> Pending:
    """Pure: ``pending`` with only those refresh-only kinds whose digest, read again under
    the lock (``locked``), is still the one they were judged by (``held``, read before
    it): a kind another writer changed meanwhile is triaged fact by fact instead."""
    still = {
        key
        for key in pending.refresh_only
        for observer, kind in [key.split("/", 1)]
        if locked.get(observer, {}).get(kind, digest.Held()).fingerprint
        == held.get(observer, {}).get(kind, digest.Held()).fingerprint
    }
    return Pending(pending.rows, still)


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


def _triage_pending(
    graph: Graph, tx: ManagedTransaction, pending: Pending, refresh_ms: int
) -> list[tuple[dict[str, Any], digest.Triaged]]:
    """Every pending row with its triage, observer by observer and kind by kind (the
    order ``_digest_rows`` reads them back in). The kinds due only for a refresh are not
    read: each of their facts is refreshed."""
    order = [(o, kind) for o in sorted(pending.rows) for kind in sorted(pending.rows[o])]
    read = [
        row
        for o, kind in order
        if f"{o}/{kind}" not in pending.refresh_only
        for row in pending.rows[o][kind]
    ]
    found = iter(_first_pass(graph, tx, read, refresh_ms) if read else ())
    out: list[tuple[dict[str, Any], digest.Triaged]] = []
    for o, kind in order:
        rows = pending.rows[o][kind]
        if f"{o}/{kind}" in pending.refresh_only:
            out += zip(rows, digest.refreshed(rows), strict=True)
        else:
            out += [(row, next(found)) for row in rows]
    return out


def _write_batch(
    graph: Graph,
    bp: str,
    batch: Sequence[Observation],
    policy: RetentionPolicy,
    check: Sequence[Observation] = (),
) -> tuple[list[Change], int]:
    """One batch in one transaction; ``check``: observations whose observers are checked
    first, in that transaction (the first batch checks the whole call's). An observer's
    facts of a kind that its digest settles (nothing changed, nothing due) cost nothing
    more, those it holds but are due for a refresh only get it; the other facts are
    triaged one by one under their observers' digest locks."""
    grouped = _rows(batch)
    refresh_ms = int(policy.refresh_s * 1000)

    def work(tx: ManagedTransaction) -> tuple[list[Change], int]:
        held = _check_observers(graph, tx, bp, [o.observer for o in (check or batch)])
        pending = unsettled(grouped, held, refresh_ms)
        settled = pending.rows
        if not settled:
            return [], 0
        locked = graph.run(tx, q.LOCK_DIGESTS, bp=bp, ids=sorted(settled))
        under_lock = {
            r["id"]: digest.held_by_kind(r["fp_kinds"], r["fingerprints"], r["fp_oldest_ms"])
            for r in locked
        }
        pending = confirmed(pending, held, under_lock)
        pairs = _triage_pending(graph, tx, pending, refresh_ms)
        write, touch = triage([r for r, _ in pairs], [t.due for _, t in pairs])
        triaged: dict[str, list[digest.Triaged]] = defaultdict(list)
        for row, t in pairs:
            triaged[row["observer"]].append(t)
        if touch:
            graph.run(
                tx,
                q.TOUCH,
                uids=[r["uid"] for r in touch],
                at_ms=[int(r["at"] * 1000) for r in touch],
            )
        changes, dropped, created = _write_changed(graph, tx, bp, write, policy)
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
