"""B12's prober: what an orchestrator's health probe sees during the soak.

A process of its own (as a kubelet or a load balancer is), one request at a time: it
asks ``/health/live`` and ``/health`` in turn every ``INTERVAL_S`` until ``duration``
seconds have passed, then prints ``{"live": [seconds...], "health": [...],
"failed": [...]}`` as JSON on stdout. The soak's own clients share one event loop in
their process, so their latencies include that loop's lag; this one's do not.

``python -m bench.b12_probe BASE_URL DURATION_S``
"""

from __future__ import annotations

import json
import sys
import time

import httpx

INTERVAL_S = 0.1
TIMEOUT_S = 10.0


def probe(base: str, duration_s: float) -> dict[str, list[float] | list[str]]:
    live: list[float] = []
    health: list[float] = []
    failed: list[str] = []
    until = time.monotonic() + duration_s
    with httpx.Client(timeout=TIMEOUT_S) as http:
        turn = 0
        while time.monotonic() < until:
            path, into = ("/health/live", live) if turn % 2 == 0 else ("/health", health)
            turn += 1
            started = time.perf_counter()
            try:
                status = http.get(base + path).status_code
                if status != 200:
                    failed.append(f"{path}: HTTP {status}")
            except httpx.HTTPError as exc:
                failed.append(f"{path}: {type(exc).__name__}: {exc}")
            into.append(time.perf_counter() - started)
            time.sleep(INTERVAL_S)
    return {"live": live, "health": health, "failed": failed}


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1], float(sys.argv[2]))))
