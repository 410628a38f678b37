"""B9x: resident memory of the API and one worker while serving `xlarge` (<= 1 GB).

The API answers a GraphQL read of the blueprint (its counts and its first 1,000 leafs
with their interfaces) and the worker renders every switch of `xlarge` first, so both
hold what serving that blueprint costs.
"""

from __future__ import annotations

import httpx

from bench.b9_memory import STATE, family, rss_kib
from bench.common import engine, ensure_blueprint, timed, write_result

READ = """
query($bp: String!) { blueprint(name: $bp) { leafs servers linksCount
  systems(role: "leaf", limit: 1000) { id asn loopback interfaces { name ipv4 } } } }
"""


def run() -> None:
    from workers.tasks import render_blueprint

    bps = engine()
    name = ensure_blueprint(bps, "xlarge")
    settings = bps.graph.settings
    url = f"http://{settings.api_host}:{settings.api_port}/graphql"
    headers = {"Authorization": "Bearer dev-viewer"}
    with httpx.Client(timeout=300) as client:
        read_s, response = timed(
            lambda: client.post(
                url, json={"query": READ, "variables": {"bp": name}}, headers=headers
            )
        )
    response.raise_for_status()
    render_s, rendered = timed(lambda: render_blueprint.delay(name).get(timeout=900))
    api = int((STATE / "api.pid").read_text())
    worker = int((STATE / "worker.pid").read_text())
    api_mb = rss_kib(api) / 1024
    worker_pids = family(worker)
    worker_mb = sum(rss_kib(p) for p in worker_pids) / 1024
    write_result(
        "B9x",
        api_mb + worker_mb,
        "MB",
        "<= 1024 MB (API + one worker)",
        "xlarge",
        api_mb=round(api_mb, 1),
        worker_mb=round(worker_mb, 1),
        worker_processes=len(worker_pids),
        switches_rendered_by_worker=rendered,
        graphql_read_s=round(read_s, 2),
        render_all_s=round(render_s, 2),
    )
