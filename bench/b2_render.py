"""B2: render every switch of `large` end-to-end (graph contexts + templates), target <= 5 s,
and >= 50 % of the throughput of rendering the same templates from precomputed contexts."""

from __future__ import annotations

from bench.common import engine, ensure_blueprint, median, timed, write_result
from blueprint_engine.configs.contexts import switch_ids
from renderers import render
from renderers.context import Stage

ROUNDS = 3  # medians of three runs each


def run() -> None:
    bps = engine()
    name = ensure_blueprint(bps, "large")
    switches = switch_ids(bps.graph, name)
    bps.configs.render(name, switches[:2])  # warm the template cache and query plan
    runs = [timed(lambda: bps.configs.render(name, switches)) for _ in range(ROUNDS)]
    end_to_end_s, configs = median([r[0] for r in runs]), runs[0][1]
    contexts = bps.configs.contexts(name, switches)
    precomputed_s = median(
        [
            timed(lambda: [render(c, Stage.SERVICE) for c in contexts.values()])[0]
            for _ in range(ROUNDS)
        ]
    )
    ratio = precomputed_s / end_to_end_s
    write_result(
        "B2",
        end_to_end_s,
        "s",
        "<= 5 s and >= 50 % of precomputed throughput",
        "large",
        switches=len(configs),
        precomputed_s=round(precomputed_s, 3),
        end_to_end_per_s=round(len(configs) / end_to_end_s, 1),
        precomputed_per_s=round(len(configs) / precomputed_s, 1),
        throughput_ratio=round(ratio, 3),
        bytes=sum(len(c) for c in configs.values()),
    )
