"""Event-driven detection on the real lab: with no periodic collection of the fabric at
all, a cut spine-leaf cable still reaches the graph (both ports down, the session down
at both ends, each end's route to the other's loopback missing, one ``cable_cut`` root
cause explaining them) and clears on repair, because the switches' own event streams
(kernel link notifications, bgpd's neighbour state changes) make the pool's listener
collect them. Every state is waited for, bounded::

    spine1 swp1 --X-- leaf1 swp1      kernel: swp1 deleted/down on both ends
                                      bgpd:   %ADJCHANGE ... Down on both ends
       listener@<test pool> --> collect spine1 + leaf1 --> ingest --> root cause

No polling: the deployed switches are moved to a worker pool of the test's own that
has no worker and no beat (no ``collect_all`` ever names them; the checkout's own
pool's round no longer takes them), and only ``listener@<that pool>`` runs for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

from bench.b7_lab_fault import OPEN_CAUSES, RAISED, link_symptoms
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.model import LinkRole
from blueprint_engine.design.reader import read_cabling
from blueprint_engine.devices.worker_pools import WorkerPools
from blueprint_engine.graph.db import Graph
from labharness import rollout
from tests.integration.lab.helpers import deployed_lab, eventually
from tests.integration.pools.helpers import made_pools, services
from workers.listener import stream_key

pytestmark = [pytest.mark.lab, pytest.mark.integration]

SEEN_TIMEOUT_S = 60.0
CLEAR_TIMEOUT_S = 120.0
ROUND_GONE_TIMEOUT_S = 60.0


@contextmanager
def listener(queue: str) -> Iterator[None]:
    services("start", f"listener@{queue}")
    try:
        yield
    finally:
        services("stop", f"listener@{queue}")


def _client() -> redis.Redis:
    return redis.Redis.from_url(os.environ.get("FG_REDIS_URL", "redis://127.0.0.1:6379/0"))


def _raised(graph: Graph, bp: str) -> int:
    return int(graph.read(RAISED, bp=bp)[0]["n"])


def _clear(graph: Graph, bp: str) -> bool:
    return not graph.read(OPEN_CAUSES, bp=bp) and _raised(graph, bp) == 0


def _explained(graph: Graph, bp: str, link: str, symptoms: set[tuple[str, str, str]]) -> bool:
    for cause in graph.read(OPEN_CAUSES, bp=bp):
        seen = {tuple(s) for s in cause["symptoms"] if s[0] is not None}
        if cause["kind"] == "cable_cut" and cause["subject"] == link and seen >= symptoms:
            return True
    return False


@pytest.mark.timeout(1200)  # deploys the whole lab first (minutes on a loaded machine)
def test_a_cut_cable_reaches_the_graph_through_the_event_streams_alone(graph: Graph) -> None:
    with (
        deployed_lab(graph, "events") as (blueprints, lab, bp),
        made_pools(graph, "events") as made,
    ):
        ((pool, queue),) = made.items()
        design = read_cabling(graph, bp)
        link = next(lk for lk in design.links if lk.role == LinkRole.SPINE_LEAF)
        serials = [rollout.lab_serial(s) for s, _ in rollout.switches(blueprints, bp)]
        eventually(lambda: _clear(graph, bp), CLEAR_TIMEOUT_S)  # convergence settled
        _unpolled(blueprints, bp, pool, serials)
        client = _client()
        with listener(queue):
            eventually(lambda: all(client.exists(stream_key(s)) for s in serials), 60.0)
            node, port = link.b.split(":")
            lab.cable_cut(node, port)
            symptoms = link_symptoms(design, link)
            eventually(lambda: _explained(graph, bp, link.id, symptoms), SEEN_TIMEOUT_S, 0.1)
            lab.repair()
            eventually(lambda: _clear(graph, bp), CLEAR_TIMEOUT_S)


def _unpolled(blueprints: Blueprints, bp: str, pool: str, serials: list[str]) -> None:
    """Move the switches to ``pool`` (no worker, no beat) and wait until no round of
    ``bp`` by the checkout's own pool (that may still have them) runs."""
    pools = WorkerPools(blueprints.graph)
    home = os.environ.get("FG_CELERY_QUEUE", "fabricgraph")
    for serial in serials:
        pools.move(serial, pool)
    client, round_key = _client(), f"fabricgraph:collect:{bp}@{home}"
    eventually(lambda: not client.exists(round_key), ROUND_GONE_TIMEOUT_S, 0.1)
