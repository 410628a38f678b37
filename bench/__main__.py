"""`python -m bench B1` runs one benchmark; `python -m bench all` runs every one there is."""

from __future__ import annotations

import importlib
import sys

BENCHES = {
    "B1": "bench.b1_build",
    "B2": "bench.b2_render",
    "B3": "bench.b3_commit",
    "B4": "bench.b4_impact",
    "B5": "bench.b5_nested",
    "B6": "bench.b6_ingest",
    "B7": "bench.b7_lab_fault",
    "B8": "bench.b8_lab_deploy",
    "B9": "bench.b9_memory",
    "B10": "bench.b10_scrape",
    "B12": "bench.b12_soak",
    "B13": "bench.b13_tenant_network",
    "B13s": "bench.b13s_tenant_ssh",
    "B13p": "bench.b13p_push_profile",
    "B14": "bench.b14_collect",
    "B15": "bench.b15_virtual",
    "B16": "bench.b16_agents",
    "B1x": "bench.b1x_build",
    "B3x": "bench.b3x_commit",
    "B4x": "bench.b4x_impact",
    "B6x": "bench.b6x_ingest",
    "B9x": "bench.b9x_memory",
    "B10x": "bench.b10x_scrape",
    "B14P": "bench.b14_pools",
}


def main(argv: list[str]) -> int:
    wanted = argv or ["all"]
    ids = list(BENCHES) if wanted == ["all"] else wanted
    unknown = [i for i in ids if i not in BENCHES]
    if unknown:
        print(f"no benchmark {', '.join(unknown)} yet (available: {', '.join(BENCHES)})")
        return 2
    for bench_id in ids:
        print(f"== {bench_id}", flush=True)
        importlib.import_module(BENCHES[bench_id]).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
