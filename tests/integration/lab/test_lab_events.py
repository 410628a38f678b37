"""Event-driven detection on the real lab: with no periodic collection of the fabric at
all and no round answering the events, a cut spine-leaf cable and an out-of-band change
still reach the graph, because the switches' own event streams (kernel link
notifications, bgpd's neighbour state changes) are turned into observations by the
pool's listener (``telemetry.event_facts``) and ingested, evaluated and explained like
a round's. Every state is waited for, bounded::

    spine1 swp1 --X-- leaf1 swp1      kernel: swp1 deleted/down on both ends
                                      bgpd:   %ADJCHANGE ... Down on both ends
       listener@<test pool> --> port, session, optic, route facts --> ingest --> root cause

    leaf2: vtysh "neighbor <spine> shutdown"
                                      bgpd:   %ADJCHANGE ... Down Admin. shutdown
       listener --> session + route facts, running config judged --> oob_change, gate

No polling: the deployed switches are moved to a worker pool of the test's own that
has no worker and no beat (no ``collect_all`` ever names them; the checkout's own
pool's round no longer takes them), and only ``listener@<that pool>`` runs for it, its
follow-up rounds pushed out of the test's time (``FG_EVENT_FOLLOW_UP_S``): what is
seen comes from the events alone (a link or session change has no round of its own).
After each repair the test itself runs the collection round (the level-triggered
safety net) until everything clears.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

from bench.b7_lab_fault import DEVIATION, OPEN_CAUSES, RAISED, link_symptoms
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.model import LinkRole
from blueprint_engine.design.reader import read_cabling
from blueprint_engine.devices.worker_pools import WorkerPools
from blueprint_engine.graph.db import Graph, Query
from labharness import rollout
from tests.integration.lab.helpers import deployed_lab, eventually
from tests.integration.pools.helpers import ROOT, made_pools, services
from workers.collect import collect_round
from workers.listener import stream_key

pytestmark = [pytest.mark.lab, pytest.mark.integration]

SEEN_TIMEOUT_S = 60.0
CLEAR_TIMEOUT_S = 120.0
ROUND_GONE_TIMEOUT_S = 60.0
ROUND_TIMEOUT_S = 120.0

COUNTED = Query(
    "test.events.counted",
    """
    MATCH (o:Observation) WHERE o.uid STARTS WITH $bp + '/counters/'
      AND o.observed_at.epochMillis >= $since_ms
    RETURN DISTINCT split(o.uid, '/')[2] AS observer
    """,
)


FOLLOW_UP_S = "3600"  # the listener's follow-up rounds: none within the test


@contextmanager
def listener(queue: str) -> Iterator[None]:
    """``listener@queue`` with no follow-up round within the test."""
    env = {**os.environ, "FG_EVENT_FOLLOW_UP_S": FOLLOW_UP_S}
    subprocess.run(
        [str(ROOT / "deploy" / "services.sh"), "start", f"listener@{queue}"],
        check=True,
        timeout=150,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
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


def _explained(
    graph: Graph, bp: str, kind: str, subject: str, symptoms: set[tuple[str, str, str]]
) -> bool:
    for cause in graph.read(OPEN_CAUSES, bp=bp):
        seen = {tuple(s) for s in cause["symptoms"] if s[0] is not None}
        if cause["kind"] == kind and cause["subject"] == subject and seen >= symptoms:
            return True
    return False


def _counted_since(graph: Graph, bp: str, since: float) -> set[str]:
    """The switches whose counters a round collected since ``since`` (epoch seconds)."""
    rows = graph.read(COUNTED, bp=bp, since_ms=int(since * 1000))
    return {r["observer"] for r in rows}


def _gated(graph: Graph, bp: str, system: str) -> bool:
    rows = graph.read(DEVIATION, uid=f"{bp}/{system}")
    return bool(rows) and rows[0]["deviation"] not in (None, "none")


def _cleared_by_rounds(graph: Graph, bp: str, queue: str) -> None:
    """The safety net after a repair: collection rounds of the pool's switches (run here:
    the pool has no worker) until nothing is raised."""
    client = _client()

    def clear() -> bool:
        collect_round(graph, client, bp, deployed_only=True, queue=queue)
        return _clear(graph, bp)

    eventually(clear, CLEAR_TIMEOUT_S)


@pytest.mark.timeout(1200)  # deploys the whole lab first (minutes on a loaded machine)
def test_a_cut_cable_and_an_out_of_band_change_reach_the_graph_from_the_events_alone(
    graph: Graph,
) -> None:
    with (
        deployed_lab(graph, "events") as (blueprints, lab, bp),
        made_pools(graph, "events") as made,
    ):
        ((pool, queue),) = made.items()
        design = read_cabling(graph, bp)
        fabric = [lk for lk in design.links if lk.role == LinkRole.SPINE_LEAF]
        link = fabric[0]
        serials = [rollout.lab_serial(s) for s, _ in rollout.switches(blueprints, bp)]
        eventually(lambda: _clear(graph, bp), CLEAR_TIMEOUT_S)  # convergence settled
        _unpolled(blueprints, bp, pool, serials)
        client = _client()
        started = time.time()
        with listener(queue):
            eventually(lambda: all(client.exists(stream_key(s)) for s in serials), 60.0)
            switches = {s for s, _ in rollout.switches(blueprints, bp)}
            # the whole round each opened stream asks for has written its last facts (the
            # counters, last of a round): from here on no round runs within the test
            eventually(lambda: _counted_since(graph, bp, started) >= switches, ROUND_TIMEOUT_S)
            assert _clear(graph, bp)

            node, port = link.b.split(":")
            lab.cable_cut(node, port)
            symptoms = link_symptoms(design, link)

            def cut() -> bool:
                return _explained(graph, bp, "cable_cut", link.id, symptoms)

            eventually(cut, SEEN_TIMEOUT_S, 0.1)
            lab.repair()
            _cleared_by_rounds(graph, bp, queue)

            # an out-of-band change on another leaf: a neighbour shut down by hand
            other = next(lk for lk in fabric if lk.b.split(":")[0] != node and lk.a != link.a)
            leaf = other.b.split(":")[0]
            spine_ip = next(i.ipv4 for i in design.interfaces if i.id == other.a)
            asn = next(s.asn for s in design.systems if s.id == leaf)
            assert spine_ip is not None and asn is not None
            lab.oob_change(
                leaf, [f"router bgp {asn}", f"neighbor {spine_ip.split('/')[0]} shutdown"]
            )
            oob = {x for x in link_symptoms(design, other) if x[0] != "interface_down"}
            oob.add(("config_deviation", leaf, leaf))

            def changed() -> bool:
                seen = _explained(graph, bp, "oob_change", leaf, oob)
                return seen and _gated(graph, bp, leaf)

            eventually(changed, SEEN_TIMEOUT_S, 0.1)
            lab.repair()
            _cleared_by_rounds(graph, bp, queue)


def _unpolled(blueprints: Blueprints, bp: str, pool: str, serials: list[str]) -> None:
    """Move the switches to ``pool`` (no worker, no beat) and wait until no round of
    ``bp`` by the checkout's own pool (that may still have them) runs."""
    pools = WorkerPools(blueprints.graph)
    home = os.environ.get("FG_CELERY_QUEUE", "fabricgraph")
    for serial in serials:
        pools.move(serial, pool)
    client, round_key = _client(), f"fabricgraph:collect:{bp}@{home}"
    eventually(lambda: not client.exists(round_key), ROUND_GONE_TIMEOUT_S, 0.1)
