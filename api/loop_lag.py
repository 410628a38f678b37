"""How late the API's event loop runs: a task that sleeps ``TICK_S`` and records by how
much it woke late. Every request (``/health/live`` too) is parsed, routed and answered
on this loop, so its lag is the floor of every latency the API serves; it is exported
as the histogram ``fabricgraph_event_loop_lag_seconds`` (``/metrics``), with the worst
lag seen.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from dataclasses import dataclass, field

TICK_S = 0.05
# upper bounds in seconds (Prometheus ``le``); the last bucket is +Inf
BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass
class LoopLag:
    """Lags observed since the process started (a histogram and the maximum)."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total_s: float = 0.0
    max_s: float = 0.0

    def observe(self, lag_s: float) -> None:
        lag_s = max(0.0, lag_s)
        self.counts[bisect.bisect_left(BUCKETS, lag_s)] += 1
        self.total_s += lag_s
        self.max_s = max(self.max_s, lag_s)

    def cumulative(self) -> list[tuple[str, float]]:
        """Prometheus buckets: (``le``, observations at or below it), +Inf last."""
        running, out = 0, []
        for bound, n in zip([*map(str, BUCKETS), "+Inf"], self.counts, strict=True):
            running += n
            out.append((bound, float(running)))
        return out


async def watch(lag: LoopLag, tick_s: float = TICK_S) -> None:
    """Record the loop's lag every ``tick_s`` until cancelled."""
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(tick_s)
        lag.observe(time.perf_counter() - asked - tick_s)
