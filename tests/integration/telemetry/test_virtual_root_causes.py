"""A physical root cause lists the VMs it costs, on the real Neo4j and Redis.

lab-evpn with its switches deployed (lifecycle only) and a synced virtual inventory::

        spine1 ---------- spine2
         |    \\        /    |
        r1-l1  r2-l1  r3-l1  r3-l2      a leaf goes offline: its root cause names the
         |      |       \\  X  /        VMs of the servers cabled to it, connectivity
        r1-s1  r2-s1   r3-s1 r3-s2      lost when the server has no other leaf

The expected VMs come from the design's cabling (servers cabled to the leaf, and
whether they have another leaf) and the placement, not from the engine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from api.topology import read_topology
from blueprint_engine.design.model import Role
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from blueprint_engine.virtual import store
from telemetry.ingest import ingest
from tests.integration.telemetry import fabric_state as fs

pytestmark = pytest.mark.integration
SOURCE = "kvm"

OPEN = Query(
    "test.virtual.causes",
    "MATCH (c:RootCause {blueprint: $bp, state: 'open'}) "
    "RETURN c.kind AS kind, c.subject AS subject, c.evidence AS evidence",
)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[redis.Redis]:
    r = redis.Redis.from_url(settings.redis_url)
    yield r
    r.close()


@pytest.fixture(scope="module")
def fabric(
    graph: Graph, client: redis.Redis
) -> Iterator[tuple[fs.Fabric, fs.Facts, dict[str, set[str]]]]:
    with fs.deployed_fabric(graph, "lab-evpn") as fabric:
        facts = fs.healthy(fabric)
        assert (
            ingest(
                graph, client, fs.observations(fabric, facts, time.time() - 3600)
            ).anomalies_raised
            == []
        )
        servers = sorted(s.id for s in fabric.design.systems if s.role == Role.SERVER)
        hvs = [{"id": f"hv-{s}", "server": s} for s in servers]
        vms = [{"id": f"{s}-vm{k}", "hypervisor": f"hv-{s}"} for s in servers for k in (1, 2)]
        store.sync_snapshot(graph, fabric.bp, SOURCE, {"hypervisors": hvs, "vms": vms})
        placed = {s: {f"{SOURCE}/{s}-vm{k}" for k in (1, 2)} for s in servers}
        yield fabric, facts, placed


def _servers_of(fab: fs.Fabric, leaf: str) -> dict[str, bool]:
    """Servers cabled to ``leaf``: whether it is their only leaf."""
    out = {}
    for server in (s.id for s in fab.design.systems if s.role == Role.SERVER):
        leafs = {fab.iface(end).system for lk in fab.links_of(server) for end in (lk.a, lk.b)}
        leafs.discard(server)
        if leaf in leafs:
            out[server] = leafs == {leaf}
    return out


@pytest.mark.parametrize("leaf", ["rack1-leaf1", "rack3-leaf1"])
def test_a_leaf_offline_cause_lists_the_vms_of_its_servers(
    graph: Graph,
    client: redis.Redis,
    fabric: tuple[fs.Fabric, fs.Facts, dict[str, set[str]]],
    leaf: str,
) -> None:
    fab, healthy, placed = fabric
    faulty = fs.device_offline(fab, healthy, leaf)
    ingest(graph, client, fs.observations(fab, fs.changed(healthy, faulty), time.time()))
    try:
        [cause] = graph.read(OPEN, bp=fab.bp)
        assert (cause["kind"], cause["subject"]) == ("device_offline", leaf)
        evidence: dict[str, Any] = json.loads(cause["evidence"])
        got = {(v["vm"], v["server"], v["status"]) for v in evidence["impacted_vms"]}
        want = {
            (vm, server, "connectivity_lost" if only else "redundancy_lost")
            for server, only in _servers_of(fab, leaf).items()
            for vm in placed[server]
        }
        assert want and got == want
        # the topology page: each server lists its VMs, and those the cause hurts
        topo = read_topology(graph, fab.bp)
        assert {s["id"]: set(s["vms"]) for s in topo.systems if s["role"] == "server"} == placed
        assert topo.impacted_vms == sorted(vm for vm, _, _ in want)
    finally:
        ingest(graph, client, fs.observations(fab, fs.changed(faulty, healthy), time.time()))
    assert graph.read(OPEN, bp=fab.bp) == []
