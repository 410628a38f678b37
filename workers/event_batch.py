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
# the getters a link change affects at once (with get_facts, always run)
LINK_GETTERS = frozenset({"get_interfaces", "get_bgp_neighbors", "get_route_to", "get_optics"})


@dataclass(frozen=True)
class Batch:
    """One round: ``systems`` of ``blueprint``; ``lean`` when all they reported was link
    changes (the round then runs only the getters a link changes, ``LINK_GETTERS``)."""

    blueprint: str
    systems: tuple[str, ...]
    lean: bool


@dataclass
class Pending:
    """Switches waiting for a round: ``{(blueprint, system): (when first reported, whether
    only link changes were reported)}``, and the follow-ups due."""

    settle_s: float
    follow_up_s: float = 2.0
    limit: int = 10_000
    first: dict[Key, tuple[float, bool]] = field(default_factory=dict)
    later: dict[Key, float] = field(default_factory=dict)  # follow-ups: when due

    def add(self, key: Key, now: float, lean: bool = False) -> bool:
        """Record that ``key`` reported at ``now`` (``lean``: a link change only); False
        when the limit refuses a new one (the periodic round still collects it)."""
        if key in self.first:
            at, was_lean = self.first[key]
            self.first[key] = (at, was_lean and lean)
            return True
        if len(self.first) >= self.limit:
            return False
        self.first[key] = (now, lean)
        return True

    def _due(self) -> float | None:
        times = [t + self.settle_s for t, _ in self.first.values()] + list(self.later.values())
        return min(times) if times else None

    def wait_s(self, now: float) -> float | None:
        """Seconds until a round is due (0: now); None when nothing is pending."""
        due = self._due()
        return None if due is None else max(0.0, due - now)

    def take(self, now: float) -> list[Batch]:
        """The rounds due at ``now`` (emptied from pending; lean ones first, one per
        blueprint and kind), or ``[]`` while nothing is due. They take every switch that
        reported and every follow-up due; each switch that reported gets a follow-up (a
        whole round: what a link change implies beyond the lean getters, LLDP, settles
        later)."""
        if self.wait_s(now) != 0.0:
            return []
        reported = dict(self.first)
        followed = {k for k, t in self.later.items() if t <= now} - set(reported)
        for key in set(reported) | followed:
            self.later.pop(key, None)
        for key in reported:
            self.later[key] = now + self.follow_up_s
        lean = {k for k, (_, only_links) in reported.items() if only_links}
        groups: dict[tuple[bool, str], list[str]] = {}
        for bp, system in sorted(set(reported) | followed):
            groups.setdefault(((bp, system) not in lean, bp), []).append(system)
        self.first.clear()
        return [
            Batch(bp, tuple(systems), not full) for (full, bp), systems in sorted(groups.items())
        ]


def backoff_s(failures: int, base_s: float = 1.0, cap_s: float = 30.0) -> float:
    """Seconds before reconnecting a stream after ``failures`` failures in a row."""
    return float(min(cap_s, base_s * 2 ** max(0, failures - 1)))
