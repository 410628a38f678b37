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
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from blueprint_engine.graph.db import Graph, Query
from telemetry.model import COUNTER_KEYS, RATE_KEYS, Observation, ObservationKind

PREVIOUS = Query(
    "telemetry.counters.previous",
    """
    UNWIND $uids AS uid
    MATCH (o:Observation {uid: uid})
    RETURN uid, o.value AS value
    """,
)


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


def with_rates(graph: Graph, bp: str, observations: Sequence[Observation]) -> list[Observation]:
    """The observations, each ``counters`` one with its rates from the sample the graph
    holds for it (one read for the whole batch)."""
    uids = [o.uid for o in observations if o.kind is ObservationKind.COUNTERS]
    if not uids:
        return list(observations)
    stored = {r["uid"]: json.loads(r["value"]) for r in graph.read(PREVIOUS, uids=uids)}
    return [
        replace(o, value=next_value(stored.get(o.uid), o.value))
        if o.kind is ObservationKind.COUNTERS
        else o
        for o in observations
    ]
