"""Worker pools as a placement of devices: the pure rules (no I/O).

A worker pool is a named group of worker processes consuming one queue, with a
capacity (how many devices it takes). Every managed device is placed on exactly one
pool; that pool's workers collect it and push to it. The rules here decide where
new devices go (the pool with the most free room), whether an operator's move is
allowed, and how a pool's liveness follows from the workers that answered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from blueprint_engine.errors import ConflictError, PoolExhaustedError, ValidationError
from blueprint_engine.grammar import shown

NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
NAME_ALLOWED = "[a-z0-9][a-z0-9._-]{0,62}"
MAX_CAPACITY = 100_000
DEFAULT_CAPACITY = 300  # B14: one worker process keeps 265-316 switches in a 10 s round


class PoolLiveness(StrEnum):
    UP = "up"  # at least one worker of the pool answered the last check
    DOWN = "down"  # workers answered before, none did at the last check
    NEVER_SEEN = "never_seen"  # no worker of the pool ever answered


@dataclass(frozen=True)
class PoolLoad:
    """A pool as placement sees it."""

    name: str
    queue: str
    capacity: int
    devices: int
    liveness: PoolLiveness = PoolLiveness.NEVER_SEEN

    @property
    def free(self) -> int:
        return self.capacity - self.devices

    @property
    def load(self) -> float:
        return self.devices / self.capacity if self.capacity else 1.0


def check_name(field: str, value: object) -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise ValidationError(f"{field} {shown(value)} is not allowed", allowed=NAME_ALLOWED)
    return value


def check_capacity(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CAPACITY:
        raise ValidationError(
            f"pool capacity {shown(value)} is not allowed",
            allowed=f"an integer from 1 to {MAX_CAPACITY}",
        )
    return value


def spread(pools: Sequence[PoolLoad], count: int) -> list[str]:
    """Pool names for ``count`` new devices, one at a time to the pool that is up with the
    lowest load (devices / capacity; ties by name). Pools that are down or never had a
    worker take none. Raises PoolExhaustedError when the pools that are up have less
    room together than ``count``."""
    up = [p for p in pools if p.liveness is PoolLiveness.UP]
    if sum(max(p.free, 0) for p in up) < count:
        have = ", ".join(f"{p.name} {max(p.free, 0)}/{p.capacity}" for p in up) or "no pool up"
        raise PoolExhaustedError(
            f"the worker pools that are up have no room for {count} more device(s) (free: {have})",
            allowed="a running pool with free capacity (start one, or raise its capacity)",
        )
    placed = {p.name: p.devices for p in up}
    out: list[str] = []
    for _ in range(count):
        best = min(
            (p for p in up if placed[p.name] < p.capacity),
            key=lambda p: (placed[p.name] / p.capacity, p.name),
        )
        out.append(best.name)
        placed[best.name] += 1
    return out


def check_move(serial: str, current: str | None, target: PoolLoad | None, known: list[str]) -> None:
    """An operator's move of ``serial`` to ``target``: the pool must exist and have room.
    Moving a device to the pool it is on is refused (nothing would change)."""
    if target is None:
        raise ValidationError(
            f"no worker pool to move {serial} to", allowed=", ".join(known) or "no pool exists yet"
        )
    if current == target.name:
        raise ConflictError(
            f"device {serial} is already placed on pool {target.name!r}",
            allowed="another pool: " + (", ".join(n for n in known if n != target.name) or "none"),
        )
    if target.free <= 0:
        raise PoolExhaustedError(
            f"pool {target.name!r} is full ({target.devices}/{target.capacity} devices)",
            allowed="a pool with free capacity, or raise this pool's capacity",
        )


def liveness(answered: int, seen_before: bool) -> PoolLiveness:
    """A pool's liveness from how many of its workers answered the check."""
    if answered > 0:
        return PoolLiveness.UP
    return PoolLiveness.DOWN if seen_before else PoolLiveness.NEVER_SEEN


def workers_per_queue(
    replies: Mapping[str, Sequence[str]], queues: Sequence[str]
) -> dict[str, list[str]]:
    """{queue: [worker names consuming it]} from each worker's reply of the queues it
    consumes (``{worker: [queue, ...]}``); queues nobody consumes map to []."""
    out: dict[str, list[str]] = {q: [] for q in queues}
    for worker, consumed in sorted(replies.items()):
        for queue in consumed:
            if queue in out:
                out[queue].append(worker)
    return out
