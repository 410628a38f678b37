"""B9: resident memory of the API and one worker while serving `large` (<= 600 MB together).

The API answers B5's nested read and the worker renders every switch of `large`
first, so both hold what serving that blueprint costs.
"""

from __future__ import annotations

from pathlib import Path

from bench import b5_nested
from bench.common import engine, ensure_blueprint, write_result

STATE = Path(__file__).resolve().parent.parent / ".state"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def family(pid: int) -> list[int]:
    """A process and its children (the Celery pool processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(int(c) for c in children)]


def run() -> None:
    from workers.tasks import render_blueprint

    name = ensure_blueprint(engine(), "large")
    b5_nested.run()
    rendered = render_blueprint.delay(name).get(timeout=300)
    api = int((STATE / "api.pid").read_text())
    worker = int((STATE / "worker.pid").read_text())
    api_mb = rss_kib(api) / 1024
    worker_pids = family(worker)
    worker_mb = sum(rss_kib(p) for p in worker_pids) / 1024
    write_result(
        "B9",
        api_mb + worker_mb,
        "MB",
        "<= 600 MB (API + one worker)",
        "large",
        api_mb=round(api_mb, 1),
        worker_mb=round(worker_mb, 1),
        worker_processes=len(worker_pids),
        switches_rendered_by_worker=rendered,
    )
