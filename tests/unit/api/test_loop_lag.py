"""The API's event-loop lag: a histogram of how late a short sleep woke."""

from __future__ import annotations

import asyncio
import time

from api.loop_lag import BUCKETS, LoopLag, watch


def test_each_lag_lands_in_the_first_bucket_that_holds_it_and_the_worst_is_kept() -> None:
    lag = LoopLag()
    for seconds in (0.0004, 0.004, 0.03, 3.0, -0.001):  # a sleep that woke early is 0
        lag.observe(seconds)
    buckets = dict(lag.cumulative())
    assert list(buckets) == [*map(str, BUCKETS), "+Inf"]
    assert buckets["0.001"] == 2 and buckets["0.005"] == 3 and buckets["0.025"] == 3
    assert buckets["0.05"] == 4 and buckets["2.5"] == 4 and buckets["+Inf"] == 5
    assert lag.max_s == 3.0 and abs(lag.total_s - 3.0344) < 1e-9


def test_a_loop_blocked_by_synchronous_work_is_seen_late() -> None:
    lag = LoopLag()

    async def scenario() -> None:
        watcher = asyncio.create_task(watch(lag, tick_s=0.01))
        await asyncio.sleep(0.02)
        time.sleep(0.2)  # the loop is held: the watcher's next wake-up comes late
        await asyncio.sleep(0.02)
        watcher.cancel()

    asyncio.run(scenario())
    assert lag.max_s >= 0.15
    assert dict(lag.cumulative())["+Inf"] >= 2
