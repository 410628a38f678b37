"""Shared benchmark plumbing: blueprints at scale, timing, result files."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import load_settings

RESULTS = Path(__file__).resolve().parent / "results"


def engine() -> Blueprints:
    return Blueprints(Graph(load_settings()))


def ensure_blueprint(bps: Blueprints, template: str) -> str:
    """A blueprint ``bench-<template>`` built once and reused by later benchmarks."""
    name = f"bench-{template}"
    if name not in bps.names():
        print(f"building {name} ...", flush=True)
        bps.create(name, template)
    return name


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def write_result(
    bench_id: str, value: float, unit: str, target: str, blueprint: str, **extra: Any
) -> dict[str, Any]:
    result = {
        "id": bench_id,
        "value": round(value, 4),
        "unit": unit,
        "target": target,
        "blueprint": blueprint,
        **extra,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{bench_id}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result
