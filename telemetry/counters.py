"""Interface counters as rates: each ``counters`` observation carries the raw counters
read this round and the rates per second since the previous sample of the same
interface (the one the graph holds). Pure rate arithmetic, one read at the edge.

A counter lower than the previous sample was reset (a reboot, a cleared counter, a
32-bit wrap seen as a fall): the increment is then the new value itself (counted from
zero), never negative. Rates are None on an interface's first sample, when either
sample lacks the counter, or when the samples are not in time order.

An idle interface (counters as before, rates already zero) keeps its previous value,
time included, so it costs no write per round (samples are written on change): when
traffic resumes, its first rate is averaged over the idle time, the next ones are
exact again.

An interface that is down has no rates (None): what the kernel drops on a port without
carrier is the port being down, which is the interface's own anomaly, not an error
rate; the sample still carries the raw counters, so the first rate after the port comes
back covers only the time it was up.

The previous samples are read from the graph, or taken from what this process sent last
(``Sent``) for each observer whose counters digest (``telemetry.digest``) says the graph
holds exactly those values: then one read of the observers' digests replaces the read
of every counters observation (a collecting process sends the same observers' counters
round after round). An observer whose digest differs (another writer, a failed ingest,
a batch that split its counters) is read from the graph as before.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from blueprint_engine.graph.db import Graph, Query
from telemetry import digest
from telemetry.model import COUNTER_KEYS, RATE_KEYS, Observation, ObservationKind, canonical_json

PREVIOUS = Query(
    "telemetry.counters.previous",
    """
    UNWIND $uids AS uid
    MATCH (o:Observation {uid: uid})
    RETURN uid, o.value AS value
    """,
)
DIGESTS = Query(
    "telemetry.counters.digests",
    """
    UNWIND $ids AS id
    MATCH (d:ObservationDigest {uid: $bp + '/' + id})
    RETURN id, d.fp_kinds AS fp_kinds, d.fingerprints AS fingerprints,
           d.fp_oldest_ms AS fp_oldest_ms
    """,
)
"""The observers' digests by kind, to check what ``Sent`` remembers against the graph."""
# observers a process remembers the counters of, at most (the oldest are forgotten):
# about 20 KB each (24 counters values of ~0.8 KB), so at most ~60 MB per process; one
# collecting process keeps about 250 switches in a 10 s round (README, B14)
MAX_REMEMBERED = 3_000


@dataclass
class Sent:
    """What one process sent last of each observer's counters, with its fingerprint as
    the digest computes it (``<bp>/<observer>`` → (fingerprint, uid → value)). Pure: the
    caller checks it against the graph's digests before trusting it."""

    limit: int = MAX_REMEMBERED
    held: dict[str, tuple[str, dict[str, dict[str, Any]]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def trusted(
        self, bp: str, digests: Mapping[str, Mapping[str, digest.Held]]
    ) -> dict[str, dict[str, Any]]:
        """The remembered values (by uid) of the observers whose counters digest in the
        graph (``digests``, by observer and kind) is the fingerprint of what was sent."""
        out: dict[str, dict[str, Any]] = {}
        kind = ObservationKind.COUNTERS.value
        with self.lock:
            for observer, kinds in digests.items():
                known = self.held.get(f"{bp}/{observer}")
                graph = kinds.get(kind)
                if known is not None and graph is not None and graph.fingerprint == known[0]:
                    out.update(known[1])
        return out

    def remember(self, bp: str, observations: Sequence[Observation]) -> None:
        """The counters observations about to be ingested, by observer (each observer's
        replace what was remembered of it)."""
        by_observer: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for o in observations:
            if o.kind is ObservationKind.COUNTERS:
                by_observer[o.observer][o.uid] = dict(o.value)
        prints = {
            observer: digest.fingerprint(
                [{"uid": uid, "value": canonical_json(v)} for uid, v in values.items()]
            )
            for observer, values in by_observer.items()
        }
        with self.lock:
            for observer, values in by_observer.items():
                key = f"{bp}/{observer}"
                self.held.pop(key, None)  # re-inserted last: the oldest are forgotten first
                self.held[key] = (prints[observer], values)
            while len(self.held) > self.limit:
                del self.held[next(iter(self.held))]


def increase(before: int | None, now: int | None) -> int | None:
    """How much a counter grew between two samples; a fall is a reset (counted from 0)."""
    if before is None or now is None:
        return None
    return now if now < before else now - before


def _per_s(amount: int | None, seconds: float, scale: float = 1.0) -> float | None:
    return None if amount is None else round(amount * scale / seconds, 3)


def _sum(*amounts: int | None) -> int | None:
    known = [a for a in amounts if a is not None]
    return sum(known) if known else None


def rates(previous: Mapping[str, Any] | None, current: Mapping[str, Any]) -> dict[str, Any]:
    """``current`` (a counters value) with its rates from ``previous`` (pure)."""
    out = dict(current)
    seconds = (
        float(current["sampled_at"]) - float(previous["sampled_at"])
        if previous is not None and previous.get("sampled_at") is not None
        else 0.0
    )
    if previous is None or seconds <= 0 or current.get("oper_up") is False:
        out.update({key: None for key in RATE_KEYS})
        return out

    def grew(key: str) -> int | None:
        return increase(previous.get(key), current.get(key))

    out["rx_bps"] = _per_s(grew("rx_octets"), seconds, 8.0)
    out["tx_bps"] = _per_s(grew("tx_octets"), seconds, 8.0)
    out["errors_ps"] = _per_s(_sum(grew("rx_errors"), grew("tx_errors")), seconds)
    discards = _sum(grew("rx_discards"), grew("tx_discards"))
    errors = _sum(grew("rx_errors"), grew("tx_errors"))
    out["discards_ps"] = _per_s(discards, seconds)
    out["errors_discards_ps"] = _per_s(_sum(errors, discards), seconds)
    return out


def idle(previous: Mapping[str, Any] | None, current: Mapping[str, Any]) -> bool:
    """Counters unchanged since a sample whose rates are all zero (or unknown), with at
    least one rate known: nothing new to keep."""
    if previous is None or any(previous.get(k) != current.get(k) for k in COUNTER_KEYS):
        return False
    known = [previous.get(k) for k in RATE_KEYS if previous.get(k) is not None]
    return bool(known) and all(v == 0 for v in known)


def next_value(previous: Mapping[str, Any] | None, current: Mapping[str, Any]) -> dict[str, Any]:
    """What to observe this round: the previous value while idle, else the rates."""
    return (
        dict(previous)
        if previous is not None and idle(previous, current)
        else rates(previous, current)
    )


def with_rates(
    graph: Graph, bp: str, observations: Sequence[Observation], sent: Sent | None = None
) -> list[Observation]:
    """The observations, each ``counters`` one with its rates from the sample the graph
    holds for it (one read for the whole batch). With ``sent`` (what this process sent
    before): the samples it remembers of the observers whose digest in the graph matches
    it, the others read; it then remembers these."""
    ours = [o for o in observations if o.kind is ObservationKind.COUNTERS]
    if not ours:
        return list(observations)
    stored: dict[str, Any] = {}
    if sent is not None:
        rows = graph.read(DIGESTS, bp=bp, ids=sorted({o.observer for o in ours}))
        digests = {
            r["id"]: digest.held_by_kind(r["fp_kinds"], r["fingerprints"], r["fp_oldest_ms"])
            for r in rows
        }
        stored = sent.trusted(bp, digests)
    missing = [o.uid for o in ours if o.uid not in stored]
    if missing:
        found = graph.read(PREVIOUS, uids=missing)
        stored.update({r["uid"]: json.loads(r["value"]) for r in found})
    out = [
        replace(o, value=next_value(stored.get(o.uid), o.value))
        if o.kind is ObservationKind.COUNTERS
        else o
        for o in observations
    ]
    if sent is not None:
        sent.remember(bp, out)
    return out
