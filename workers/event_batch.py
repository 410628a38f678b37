"""Which switches an event-driven collection round takes, and when. Pure.

Device events (``napalm_linuxfrr.events``) say that a switch changed, not what it is
now; the listener (``workers.listener``) answers each by collecting the switch. A
burst (a cut cable: the port deleted, re-created, its session down on both ends)
becomes one round: the first event of a switch opens a short settle window, every
switch that reports something within it joins the same round, and events that come
while a round runs are the next round's. An event says that a switch changed, and
some of what follows settles later (routes after a session comes up), so a switch a
round took is collected once more ``follow_up_s`` later unless it reports again
before. What is pending is one entry per switch (plus at most one follow-up), so it
is bounded by the switches the listener streams from, whatever the event rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Key = tuple[str, str]  # (blueprint, system)


@dataclass
class Pending:
    """Switches waiting for a round: ``{(blueprint, system): when first reported}``."""

    settle_s: float
    follow_up_s: float = 2.0
    limit: int = 10_000
    first: dict[Key, float] = field(default_factory=dict)
    later: dict[Key, float] = field(default_factory=dict)  # follow-ups: when due

    def add(self, key: Key, now: float) -> bool:
        """Record that ``key`` reported at ``now``; False when the limit refuses a new one
        (the periodic round still collects it)."""
        if key in self.first:
            return True
        if len(self.first) >= self.limit:
            return False
        self.first[key] = now
        return True

    def _due(self) -> float | None:
        times = [t + self.settle_s for t in self.first.values()] + list(self.later.values())
        return min(times) if times else None

    def wait_s(self, now: float) -> float | None:
        """Seconds until a round is due (0: now); None when nothing is pending."""
        due = self._due()
        return None if due is None else max(0.0, due - now)

    def take(self, now: float) -> dict[str, list[str]]:
        """The round due at ``now`` (``{blueprint: [systems]}``, emptied from pending), or
        ``{}`` while nothing is due. A round takes every switch that reported (the
        settle window of the first has passed) and every follow-up due; each switch of
        a round that came from a report gets its follow-up."""
        if self.wait_s(now) != 0.0:
            return {}
        reported = set(self.first)
        followed = {k for k, t in self.later.items() if t <= now} - reported
        for key in reported | followed:
            self.later.pop(key, None)
        for key in reported:
            self.later[key] = now + self.follow_up_s
        out: dict[str, list[str]] = {}
        for bp, system in sorted(reported | followed):
            out.setdefault(bp, []).append(system)
        self.first.clear()
        return out


def backoff_s(failures: int, base_s: float = 1.0, cap_s: float = 30.0) -> float:
    """Seconds before reconnecting a stream after ``failures`` failures in a row."""
    return float(min(cap_s, base_s * 2 ** max(0, failures - 1)))
