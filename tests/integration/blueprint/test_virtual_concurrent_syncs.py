"""Two syncs of one source at once: the graph ends holding one of the two snapshots,
never a mixture of both (each sync reads what the one before it committed)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.virtual import store

pytestmark = pytest.mark.integration

VMS = Query(
    "test.virtual.concurrent.vms",
    "MATCH (v:Vm {blueprint: $bp, source: 'kvm'}) RETURN v.id AS id ORDER BY id",
)
TURNS = Query(
    "test.virtual.concurrent.turns",
    "MATCH (s:VirtualSource {blueprint: $bp, source: 'kvm'}) RETURN s.syncs AS syncs",
)


@pytest.fixture(scope="module")
def bp(graph: Graph) -> Iterator[str]:
    blueprints = Blueprints(graph)
    name = f"t-virtual-turns-{uuid.uuid4().hex[:8]}"
    blueprints.create(name, "lab-evpn")
    yield name
    blueprints.delete(name)


def snapshot(prefix: str) -> dict[str, Any]:
    return {
        "hypervisors": [{"id": "h1", "server": "rack1-server1"}],
        "vms": [{"id": f"{prefix}{k}", "hypervisor": "h1"} for k in range(60)],
    }


def test_concurrent_full_syncs_of_one_source_leave_exactly_one_snapshot(
    graph: Graph, bp: str
) -> None:
    rounds = 4
    for n in range(rounds):
        start = threading.Barrier(2)
        errors: list[BaseException] = []
        threads = [
            threading.Thread(target=_sync, args=(graph, bp, p, start, errors))
            for p in (f"a{n}-", f"b{n}-")
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == [] and not any(t.is_alive() for t in threads)
        held = [r["id"] for r in graph.read(VMS, bp=bp)]
        one = sorted(f"kvm/a{n}-{k}" for k in range(60))
        other = sorted(f"kvm/b{n}-{k}" for k in range(60))
        assert held in (one, other), f"round {n}: {len(held)} VMs, a mixture"
    assert graph.read(TURNS, bp=bp) == [{"syncs": 2 * rounds}]


def _sync(
    graph: Graph, bp: str, prefix: str, start: threading.Barrier, errors: list[BaseException]
) -> None:
    start.wait(timeout=30)
    try:
        store.sync_snapshot(graph, bp, "kvm", snapshot(prefix))
    except BaseException as exc:  # reported by the test
        errors.append(exc)
