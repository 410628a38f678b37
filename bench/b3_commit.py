"""B3: commit a staged change touching <= 4 devices: time to incremental configs ready.

The change adds a virtual network bound to one leaf-pair rack (two leafs), so the
commit renders and diffs exactly two switches. Target: <= 1 s on `large`, and
`large` <= 2 x `medium`. ``compare`` serves B3x too (``bench/b3x_commit.py``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from bench.common import engine, ensure_blueprint, median, timed, write_result
from blueprint_engine import reads
from blueprint_engine.blueprints import Blueprints

ROUNDS = 5


def _commit(bps: Blueprints, name: str, kind: str, params: dict[str, object]) -> list[str]:
    base = bps.staging.version(name)
    version = bps.staging.stage(
        name, {"kind": kind, "params": params}, base_version=base, author="bench"
    )
    return bps.commit(name, base_version=version, author="bench", message=f"B3 {kind}").devices


def leftovers(bps: Blueprints, name: str) -> list[str]:
    rows = reads.rows(bps.graph, reads.VIRTUAL_NETWORKS, bp=name, **reads.page(1000, 0))
    return [str(r["id"]) for r in rows if str(r["id"]).startswith("b3-")]


def commit_times(
    bps: Blueprints, name: str, racks: Sequence[str] = ("rack2",)
) -> tuple[list[float], list[str]]:
    """Each round: add a VN to ``racks`` (timed: stage + commit + incremental configs),
    then remove it again (untimed) so the blueprint ends as it began."""
    if bps.staging.changes(name):  # from an interrupted earlier run
        bps.staging.discard(name, base_version=bps.staging.version(name))
    for vn in leftovers(bps, name):
        _commit(bps, name, "remove_virtual_network", {"name": vn})
    samples: list[float] = []
    devices: list[str] = []
    for n in range(ROUNDS):
        params: dict[str, object] = {"name": f"b3-{n}", "racks": list(racks)}

        def add(params: dict[str, object] = params) -> list[str]:
            return _commit(bps, name, "add_virtual_network", params)

        elapsed, devices = timed(add)
        samples.append(elapsed)
        _commit(bps, name, "remove_virtual_network", {"name": params["name"]})
    return samples, devices


def compare(bench_id: str, small: str, big: str, racks: Sequence[str], target: str) -> None:
    """The same change committed on ``small`` and on ``big``; the figure is ``big``'s
    median, with its ratio to ``small``'s."""
    bps = engine()
    results = {}
    for template in (small, big):
        name = ensure_blueprint(bps, template)
        samples, devices = commit_times(bps, name, racks)
        results[template] = (median(samples), samples, devices)
    big_s, small_s = results[big][0], results[small][0]
    figures: dict[str, object] = {
        f"{small}_s": round(small_s, 4),
        f"{big}_over_{small}": round(big_s / small_s, 2),
        f"samples_{big}": [round(s, 4) for s in results[big][1]],
        f"samples_{small}": [round(s, 4) for s in results[small][1]],
    }
    write_result(
        bench_id,
        big_s,
        "s",
        target,
        big,
        **figures,
        devices_touched=results[big][2],
        load_average=[round(x, 1) for x in os.getloadavg()],
    )


def run() -> None:
    compare("B3", "medium", "large", ["rack2"], "<= 1 s on large and <= 2 x medium")
