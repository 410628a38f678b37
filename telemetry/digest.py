"""Observation digests (pure): what the last ingest left per (blueprint, observer).

``(:ObservationDigest {uid: <bp>/<observer>, blueprint, observer, fp_kinds,
fingerprints, fp_oldest_ms, kinds, counts, newest_ms})``, written only by
``telemetry.ingest`` in the transaction that writes that observer's observations:

- ``fp_kinds`` / ``fingerprints`` / ``fp_oldest_ms`` (parallel lists, one entry per
  kind): a hash of the (uid, value) pairs of the facts of that kind the observer sent
  in its last triaged batch of that kind, equal to what the graph then held for
  exactly those uids, and the oldest ``observed_at`` among them. A batch's facts of a
  kind with the same fingerprint, whose newest time is less than the refresh interval
  past that kind's ``oldest_ms``, change nothing (no value differs, no ``observed_at``
  is due): their triage is that one read instead of one index seek per fact. Any other
  kind's facts are triaged fact by fact, as without digests. Per kind, because a
  collection round sends an observer's kinds in two calls (liveness and config first,
  the rest after) and because some kinds change every round (interface counters)
  while the others mostly do not. A kind is absent when unknown (an ignored older fact
  may differ from what the graph holds).
- ``kinds`` / ``counts`` / ``newest_ms`` (parallel lists): how many observations of
  each kind the observer has in the graph and the newest ``observed_at`` among them,
  kept by ingest as it creates and refreshes them, so readers (``/metrics``) read
  them instead of counting observations.

Digests written before fingerprints were kept per kind (one ``fingerprint`` for the
observer) are read as unknown: the next batch of each kind is triaged fact by fact.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


def fingerprint(rows: Iterable[Mapping[str, Any]]) -> str:
    """A hash of the rows' (uid, value) pairs, independent of their order."""
    text = "\x01".join(sorted(f"{r['uid']}\x00{r['value']}" for r in rows))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class Held:
    """An observer's digest as read from the graph (all None when there is none)."""

    fingerprint: str | None = None
    oldest_ms: int | None = None


def same(rows: Sequence[Mapping[str, Any]], held: Held) -> bool:
    """Whether ``rows`` (one observer's facts of one kind) are the facts, with the
    values, that the graph holds by its digest ``held``."""
    if held.fingerprint is None or held.oldest_ms is None or not rows:
        return False
    return fingerprint(rows) == held.fingerprint


def due(rows: Sequence[Mapping[str, Any]], held: Held, refresh_ms: int) -> bool:
    """Whether the newest of ``rows`` is a refresh interval or more past the oldest
    ``observed_at`` that ``held`` says the graph holds (True when unknown)."""
    if held.oldest_ms is None or not rows:
        return True
    return max(int(r["at"] * 1000) for r in rows) - held.oldest_ms >= refresh_ms


def unchanged(rows: Sequence[Mapping[str, Any]], held: Held, refresh_ms: int) -> bool:
    """Whether ``rows`` (one observer's facts of one kind) can change nothing in the
    graph: the same facts with the same values as its digest, none due for a refresh."""
    return same(rows, held) and not due(rows, held, refresh_ms)


def refreshed(rows: Sequence[Mapping[str, Any]]) -> list[Triaged]:
    """What triaging ``rows`` would find when they are the facts their digest holds and
    due for a refresh: each one's ``observed_at`` refreshed, no value changed (so the
    graph is not read for them, and they are only refreshed)."""
    return [Triaged(False, None, True)] * len(rows)


def held_by_kind(
    kinds: Sequence[str] | None,
    fingerprints: Sequence[str] | None,
    oldest_ms: Sequence[int] | None,
) -> dict[str, Held]:
    """An observer's digests by kind, from the parallel lists the graph holds (none when
    they are missing or do not line up: every kind is then triaged fact by fact)."""
    kinds, fingerprints, oldest_ms = kinds or (), fingerprints or (), oldest_ms or ()
    if not len(kinds) == len(fingerprints) == len(oldest_ms):
        return {}
    rows = zip(kinds, fingerprints, oldest_ms, strict=True)
    return {str(kind): Held(str(fp), int(at)) for kind, fp, at in rows}


def held_lists(held: Mapping[str, Held]) -> tuple[list[str], list[str], list[int]]:
    """Pure: the parallel lists (kinds, fingerprints, oldest times) of the known digests,
    by kind (graph lists hold no nulls: an unknown kind is left out)."""
    known = sorted(
        (k, h.fingerprint, h.oldest_ms)
        for k, h in held.items()
        if h.fingerprint is not None and h.oldest_ms is not None
    )
    return [k for k, _, _ in known], [f for _, f, _ in known], [at for _, _, at in known]


@dataclass(frozen=True)
class Triaged:
    """One fact's first-pass result: ``due`` True (write), False (touch) or None
    (nothing), ``last`` the stored ``observed_at`` (ms; None when new), ``same``
    whether the stored value equals the batch's."""

    due: bool | None
    last: int | None
    same: bool


def after(rows: Sequence[Mapping[str, Any]], triaged: Sequence[Triaged]) -> Held:
    """The digest of one observer's facts of one kind once its writes and touches are
    applied: unknown (null fingerprint) when a fact was ignored as older than a
    different stored value."""
    oldest: int | None = None
    for row, t in zip(rows, triaged, strict=True):
        at_ms = int(row["at"] * 1000)
        if t.due is not None or t.last is None:
            held_at = at_ms
        elif t.same:
            held_at = t.last
        else:  # older than the stored fact, which differs: what the graph holds is unknown
            return Held()
        oldest = held_at if oldest is None else min(oldest, held_at)
    return Held(fingerprint(rows), oldest) if oldest is not None else Held()


@dataclass
class Counts:
    """Observations per kind of one observer and the newest ``observed_at`` (ms)."""

    n: dict[str, int] = field(default_factory=dict)
    newest_ms: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, kinds: Sequence[str] | None, counts: Sequence[int] | None,
           newest: Sequence[int] | None) -> Counts:  # fmt: skip
        out = cls()
        for kind, n, at in zip(kinds or (), counts or (), newest or (), strict=True):
            out.n[kind] = int(n)
            if at:
                out.newest_ms[kind] = int(at)
        return out

    def add(self, kind: str, created: int, at_ms: int) -> None:
        """``created`` new observations of ``kind``; one written or refreshed at ``at_ms``."""
        self.n[kind] = self.n.get(kind, 0) + created
        self.newest_ms[kind] = max(self.newest_ms.get(kind, at_ms), at_ms)

    def lists(self) -> tuple[list[str], list[int], list[int]]:
        """Parallel lists by kind (graph lists hold no nulls: 0 for no time)."""
        kinds = sorted(set(self.n) | set(self.newest_ms))
        return kinds, [self.n.get(k, 0) for k in kinds], [self.newest_ms.get(k, 0) for k in kinds]
