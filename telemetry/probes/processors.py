"""The processor chain of a probe over one observation's samples (pure, no I/O).

Samples are written when a value changes (``telemetry.ingest``), so the value at a time
is the one of the last sample at or before it: a window ``[now - window_s, now]`` holds
the value the window starts with (the last sample before it) and the samples inside.

* ``current``: the latest value;
* ``min`` / ``max``: over the value the window starts with and those inside it;
* ``average``: time-weighted over the window (each value for as long as it held);
* ``rate``: increase per second over the window, from the value it starts with to the
  one still held at ``now`` (a window without a change: 0), a fall counted as a reset
  from zero;
* ``state_changes``: how many samples inside the window differ from the one before.

A reduction without data is None (unknown: the probe's anomaly keeps its state).
Comparisons: ``gt ge lt le`` on numbers, ``eq ne`` on any value; all must hold.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from telemetry.counters import increase
from telemetry.probes.model import Probe, Processor, Step

Point = tuple[float, Any]  # (epoch seconds, the field's value then)


def _is_number(value: object) -> bool:
    return type(value) in (int, float)


def _window(points: Sequence[Point], start: float) -> tuple[Point | None, list[Point]]:
    held: Point | None = None
    inside: list[Point] = []
    for point in points:
        if point[0] <= start:
            held = point
        else:
            inside.append(point)
    return held, inside


def _average(held: Point | None, inside: Sequence[Point], start: float, now: float) -> Any:
    series = ([(start, held[1])] if held is not None else []) + list(inside)
    series = [p for p in series if _is_number(p[1])]
    if not series:
        return None
    total = weight = 0.0
    for (at, value), nxt in zip(series, [*series[1:], (now, None)], strict=True):
        seconds = max(0.0, nxt[0] - at)
        total += float(value) * seconds
        weight += seconds
    return round(total / weight, 6) if weight > 0 else float(series[-1][1])


def _rate(held: Point | None, inside: Sequence[Point], start: float, now: float) -> float | None:
    """Increase per second over the window: from the value it starts with (held since
    ``start``) through the samples inside it to the value still held at ``now``."""
    series = ([(start, held[1])] if held is not None else []) + list(inside)
    series = [p for p in series if type(p[1]) is int]
    if not series:
        return None
    if now > series[-1][0]:
        series.append((now, series[-1][1]))
    if len(series) < 2 or series[-1][0] <= series[0][0]:
        return None
    grown = 0
    for (_, before), (_, after) in itertools.pairwise(series):
        grown += increase(before, after) or 0
    return round(grown / (series[-1][0] - series[0][0]), 6)


def reduce(step: Processor, points: Sequence[Point], now: float) -> Any:
    """The chain's reducer over ``points`` (ascending by time) at ``now``."""
    if not points:
        return None
    if step.type is Step.CURRENT:
        return points[-1][1]
    start = now - float(step.window_s or 0.0)
    held, inside = _window(points, start)
    if step.type is Step.STATE_CHANGES:
        return sum(
            1
            for i, (at, value) in enumerate(points)
            if i > 0 and at > start and value != points[i - 1][1]
        )
    if step.type is Step.AVERAGE:
        return _average(held, inside, start, now)
    if step.type is Step.RATE:
        return _rate(held, inside, start, now)
    values = [v for v in ([held[1]] if held is not None else []) + [p[1] for p in inside]]
    numbers = [float(v) for v in values if _is_number(v)]
    if not numbers:
        return None
    return min(numbers) if step.type is Step.MIN else max(numbers)


def compare(op: str, left: Any, right: Any) -> bool | None:
    """``left op right``; None when either side is unknown or cannot be ordered."""
    if left is None or right is None:
        return None
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if not (_is_number(left) and _is_number(right)):
        return None
    a, b = float(left), float(right)
    return {"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op]


def property_value(step: Processor, properties: Mapping[str, str]) -> float | None:
    """The property-set value a ``property`` comparison uses, as a number (its default
    when the key is missing or not a number)."""
    text = properties.get(str(step.property))
    try:
        number = float(text) if text is not None else None
    except ValueError:
        number = None
    if number is not None and number == number and abs(number) != float("inf"):
        return number
    return step.default


@dataclass(frozen=True)
class Reading:
    """What a probe found on one observation: the reduced value, what it was compared
    with, and whether the anomaly holds (None: unknown)."""

    value: Any
    against: tuple[Any, ...]
    broken: bool | None


def run_chain(
    probe: Probe, points: Sequence[Point], now: float, properties: Mapping[str, str]
) -> Reading:
    value = reduce(probe.reducer, points, now)
    against: list[Any] = []
    verdicts: list[bool | None] = []
    for step in probe.comparisons:
        right = step.value if step.type is Step.THRESHOLD else property_value(step, properties)
        against.append(right)
        verdicts.append(compare(str(step.op), value, right))
    broken = None if value is None or None in verdicts else all(verdicts)
    return Reading(value, tuple(against), broken)
