"""B3x: commit a staged change touching 4 switches on `xlarge` (a virtual network bound
to two leaf-pair racks: four leafs rendered and diffed). Target: <= 1 s, and <= 2 x the
same change on the 5-stage `medium5`."""

from __future__ import annotations

import os

from bench.b3_commit import _commit, leftovers
from bench.common import engine, ensure_blueprint, median, timed, write_result
from blueprint_engine.blueprints import Blueprints

ROUNDS = 5
RACKS = ["rack2", "rack3"]


def commit_times(bps: Blueprints, name: str) -> tuple[list[float], list[str]]:
    """Each round: add a VN to two racks (timed: stage + commit + incremental configs),
    then remove it (untimed) so the blueprint ends as it began."""
    if bps.staging.changes(name):
        bps.staging.discard(name, base_version=bps.staging.version(name))
    for vn in leftovers(bps, name):
        _commit(bps, name, "remove_virtual_network", {"name": vn})
    samples: list[float] = []
    devices: list[str] = []
    for n in range(ROUNDS):
        params: dict[str, object] = {"name": f"b3-{n}", "racks": RACKS}

        def add(params: dict[str, object] = params) -> list[str]:
            return _commit(bps, name, "add_virtual_network", params)

        elapsed, devices = timed(add)
        samples.append(elapsed)
        _commit(bps, name, "remove_virtual_network", {"name": params["name"]})
    return samples, devices


def run() -> None:
    bps = engine()
    results = {}
    for template in ("medium5", "xlarge"):
        name = ensure_blueprint(bps, template)
        samples, devices = commit_times(bps, name)
        results[template] = (median(samples), samples, devices)
    xlarge, medium = results["xlarge"][0], results["medium5"][0]
    write_result(
        "B3x",
        xlarge,
        "s",
        "<= 1 s on xlarge and <= 2 x medium5",
        "xlarge",
        medium5_s=round(medium, 4),
        xlarge_over_medium5=round(xlarge / medium, 2),
        samples_xlarge=[round(s, 4) for s in results["xlarge"][1]],
        samples_medium5=[round(s, 4) for s in results["medium5"][1]],
        devices_touched=results["xlarge"][2],
        load_average=[round(x, 1) for x in os.getloadavg()],
    )
