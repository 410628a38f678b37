"""B6x: B6 (``bench/b6_ingest.py``) on `xlarge`: full collector rounds of 2,464 switches
ingested with evaluation (>= 20,000 observations/s), anomalies visible <= 1 s."""

from __future__ import annotations

from bench import b6_ingest


def run() -> None:
    b6_ingest.run("xlarge", "B6x")
