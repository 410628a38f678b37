"""Which switches an event-driven collection round takes, what it collects, and when.
Pure.

Device events (``napalm_linuxfrr.events``) say that a switch changed, not what it is
now; the listener (``workers.listener``) answers each by collecting the switch. A
burst (a cut cable: the port deleted, re-created, its session down on both ends)
becomes one round: the first event of a switch opens a short settle window, every
switch that reports something within it joins the same round, and events that come
while a round runs are the next round's. An event says that a switch changed, and
some of what follows settles later (routes after a session comes up), so a switch a
round took is collected once more, whole, ``follow_up_s`` later unless it reports
again before. What is pending is one entry per switch (plus at most one follow-up),
so it is bounded by the switches the listener streams from, whatever the event rate.

What a round collects follows what was reported (``Scope``): the facts a link or
session change names are the event's own (``telemetry.event_facts``, ingested by the
listener without a round, which also has a session change's switch judge its running
config on its open driver), so a link or session change needs no round before its
follow-up; anything else (a stream reopened, a follow-up) collects every getter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

Key = tuple[str, str]  # (blueprint, system)


class Scope(IntEnum):
    """What a round of a switch collects; a larger scope includes the smaller."""

    LINK = 1
    BGP = 2
    WHOLE = 3


# the getters of each scope (``get_facts``, the liveness probe, always runs with any);
# empty: no round (the event's facts were all), None: every getter
SCOPE_GETTERS: dict[Scope, frozenset[str] | None] = {
    Scope.LINK: frozenset(),
    Scope.BGP: frozenset(),
    Scope.WHOLE: None,
}


@dataclass(frozen=True)
class Batch:
    """One round: ``systems`` of ``blueprint``, collecting ``scope``."""

    blueprint: str
    systems: tuple[str, ...]
    scope: Scope


@dataclass
class Pending:
    """Switches waiting for a round: ``{(blueprint, system): (when first reported, the
    scope of what was reported)}``, and the follow-ups due."""

    settle_s: float
    follow_up_s: float = 2.0
    limit: int = 10_000
    first: dict[Key, tuple[float, Scope]] = field(default_factory=dict)
    later: dict[Key, float] = field(default_factory=dict)  # follow-ups: when due

    def add(self, key: Key, now: float, scope: Scope = Scope.WHOLE) -> bool:
        """Record that ``key`` reported at ``now`` what needs ``scope``; False when the
        limit refuses a new one (the periodic round still collects it)."""
        if key in self.first:
            at, was = self.first[key]
            self.first[key] = (at, max(was, scope))
            return True
        if len(self.first) >= self.limit:
            return False
        self.first[key] = (now, scope)
        return True

    def _due(self) -> float | None:
        times = [t + self.settle_s for t, _ in self.first.values()] + list(self.later.values())
        return min(times) if times else None

    def wait_s(self, now: float) -> float | None:
        """Seconds until a round is due (0: now); None when nothing is pending."""
        due = self._due()
        return None if due is None else max(0.0, due - now)

    def take(self, now: float) -> list[Batch]:
        """The rounds due at ``now`` (emptied from pending; one per blueprint and scope,
        the smallest scope first: it reaches the graph soonest), or ``[]`` while nothing
        is due. They take every switch that reported and every follow-up due; each
        switch that reported gets a follow-up."""
        if self.wait_s(now) != 0.0:
            return []
        scopes = {k: scope for k, (_, scope) in self.first.items()}
        for key, due in list(self.later.items()):
            if due <= now and key not in scopes:
                scopes[key] = Scope.WHOLE
        for key in scopes:
            self.later.pop(key, None)
        for key in self.first:
            self.later[key] = now + self.follow_up_s
        groups: dict[tuple[Scope, str], list[str]] = {}
        for (bp, system), scope in sorted(scopes.items()):
            groups.setdefault((scope, bp), []).append(system)
        self.first.clear()
        return [Batch(bp, tuple(systems), scope) for (scope, bp), systems in sorted(groups.items())]


def backoff_s(failures: int, base_s: float = 1.0, cap_s: float = 30.0) -> float:
    """Seconds before reconnecting a stream after ``failures`` failures in a row."""
    return float(min(cap_s, base_s * 2 ** max(0, failures - 1)))
