"""B9: resident memory of the API and one worker while serving `large` (<= 600 MB together).

The API answers B5's nested read and the worker renders every switch of `large`
first, so both hold what serving that blueprint costs. ``measure`` serves B9x too
(``bench/b9x_memory.py``) with its own template and read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bench import b5_nested
from bench.common import engine, ensure_blueprint, timed, write_result
from blueprint_engine.blueprints import Blueprints

STATE = Path(__file__).resolve().parent.parent / ".state"
RENDER_TIMEOUT_S = 900

Read = Callable[[Blueprints, str], object]  # the API read that loads the blueprint


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def family(pid: int) -> list[int]:
    """A process and its children (the Celery pool processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(int(c) for c in children)]


def measure(bench_id: str, template: str, target: str, read: Read) -> None:
    """RSS of the API after ``read`` and of the worker (with its pool processes) after
    rendering every switch of ``bench-<template>``."""
    from workers.tasks import render_blueprint

    bps = engine()
    name = ensure_blueprint(bps, template)
    read_s, _ = timed(lambda: read(bps, name))
    render_s, rendered = timed(lambda: render_blueprint.delay(name).get(timeout=RENDER_TIMEOUT_S))
    api = int((STATE / "api.pid").read_text())
    worker = int((STATE / "worker.pid").read_text())
    api_mb = rss_kib(api) / 1024
    worker_pids = family(worker)
    worker_mb = sum(rss_kib(p) for p in worker_pids) / 1024
    write_result(
        bench_id,
        api_mb + worker_mb,
        "MB",
        target,
        template,
        api_mb=round(api_mb, 1),
        worker_mb=round(worker_mb, 1),
        worker_processes=len(worker_pids),
        switches_rendered_by_worker=rendered,
        graphql_read_s=round(read_s, 2),
        render_all_s=round(render_s, 2),
    )


def run() -> None:
    measure("B9", "large", "<= 600 MB (API + one worker)", lambda _bps, _name: b5_nested.run())
