"""B1x: build `xlarge` (5-stage, 2,464 switches, 18,432 servers) from its template
(target <= 60 s): the design, then the graph with every port and resource (as B1,
``bench/b1_build.py``)."""

from __future__ import annotations

from bench.b1_build import measure


def run() -> None:
    measure("xlarge", "B1x", "<= 60 s")
