"""B3x: commit a staged change touching 4 switches on `xlarge` (a virtual network bound
to two leaf-pair racks: four leafs rendered and diffed). Target: <= 1 s, and <= 2 x the
same change on the 5-stage `medium5` (as B3, ``bench/b3_commit.py``)."""

from __future__ import annotations

from bench.b3_commit import compare

RACKS = ["rack2", "rack3"]


def run() -> None:
    compare("B3x", "medium5", "xlarge", RACKS, "<= 1 s on xlarge and <= 2 x medium5")
