"""B10x: B10 (``bench/b10_scrape.py``) with `xlarge` in the graph: one `/metrics`
scrape with contract-shaped telemetry for every switch of it (<= 1 s)."""

from __future__ import annotations

from bench import b10_scrape


def run() -> None:
    b10_scrape.run("xlarge", "B10x")
