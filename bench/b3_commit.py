"""B3: commit a staged change touching <= 4 devices: time to incremental configs ready.

The change adds a virtual network bound to one leaf-pair rack (two leafs), so the
commit renders and diffs exactly two switches. Target: <= 1 s on `large`, and
`large` <= 2 x `medium`.
"""

from __future__ import annotations

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


def commit_times(bps: Blueprints, name: str) -> tuple[list[float], list[str]]:
    """Each round: add a VN to rack2 (timed: stage + commit + incremental configs), then
    remove it again (untimed) so the blueprint ends as it began."""
    if bps.staging.changes(name):  # from an interrupted earlier run
        bps.staging.discard(name, base_version=bps.staging.version(name))
    for vn in leftovers(bps, name):
        _commit(bps, name, "remove_virtual_network", {"name": vn})
    samples: list[float] = []
    devices: list[str] = []
    for n in range(ROUNDS):
        params: dict[str, object] = {"name": f"b3-{n}", "racks": ["rack2"]}

        def add(params: dict[str, object] = params) -> list[str]:
            return _commit(bps, name, "add_virtual_network", params)

        elapsed, devices = timed(add)
        samples.append(elapsed)
        _commit(bps, name, "remove_virtual_network", {"name": params["name"]})
    return samples, devices


def run() -> None:
    bps = engine()
    results = {}
    for template in ("medium", "large"):
        name = ensure_blueprint(bps, template)
        samples, devices = commit_times(bps, name)
        results[template] = (median(samples), samples, devices)
    large, medium = results["large"][0], results["medium"][0]
    write_result(
        "B3",
        large,
        "s",
        "<= 1 s on large and <= 2 x medium",
        "large",
        medium_s=round(medium, 4),
        large_over_medium=round(large / medium, 2),
        samples_large=[round(s, 4) for s in results["large"][1]],
        samples_medium=[round(s, 4) for s in results["medium"][1]],
        devices_touched=results["large"][2],
    )
