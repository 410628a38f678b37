"""B12's mechanism, alone: how late an asyncio loop wakes while k threads of the same
process alternate Python work and blocking I/O (as the API's request threads decode
Bolt rows between reads), for the thread counts and GIL switch intervals the API could
use. No service is touched; each case runs ``CASE_S`` seconds.

``python -m bench.b12_gil``
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time

CASE_S = 8.0
WORK_S, IO_S = 0.002, 0.003  # per turn: Python work holding the GIL, then a blocking wait
TICK_S = 0.005
CASES = [(40, 0.005), (8, 0.005), (40, 0.001), (8, 0.001), (0, 0.005)]


def _thread(stop: threading.Event) -> None:
    while not stop.is_set():
        began = time.perf_counter()
        while time.perf_counter() - began < WORK_S:
            sum(range(200))
        time.sleep(IO_S)


async def _lags(seconds: float) -> list[float]:
    out: list[float] = []
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        asked = time.perf_counter()
        await asyncio.sleep(TICK_S)
        out.append(time.perf_counter() - asked - TICK_S)
    return sorted(out)


def case(threads: int, switch_s: float) -> str:
    sys.setswitchinterval(switch_s)
    stop = threading.Event()
    pool = [threading.Thread(target=_thread, args=(stop,)) for _ in range(threads)]
    for t in pool:
        t.start()
    try:
        lags = asyncio.run(_lags(CASE_S))
    finally:
        stop.set()
        for t in pool:
            t.join()
    ms = [x * 1000 for x in lags]
    return (
        f"threads {threads:2d}, switch interval {switch_s * 1000:.0f} ms: loop lag "
        f"p50 {ms[len(ms) // 2]:.1f}, p99 {ms[int(len(ms) * 0.99)]:.1f}, max {ms[-1]:.1f} ms"
    )


if __name__ == "__main__":
    for threads, switch_s in CASES:
        print(case(threads, switch_s), flush=True)
