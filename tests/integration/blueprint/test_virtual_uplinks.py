"""The hypervisor-uplink check on lab-tenants, whose servers are on 802.1Q trunks: a
tagged vNIC whose network the fabric carries at its server, on a virtual switch that is
not bridged to the server's trunk port, raises ``vm_uplink_missing``, explained by the
virtual switch (``vswitch_uplink_missing``); moving the vNIC back clears both.

    rack1-leaf1 -- eth0 (trunk: web) -- rack1-server1: hv1 { dvs0 [eth0], internal [] }
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from blueprint_engine.virtual import store
from telemetry.virtual_anomalies import check_blueprint

pytestmark = pytest.mark.integration

SOURCE = "kvm"
CAUSES = Query(
    "test.virtual.uplinks.causes",
    """
    MATCH (c:RootCause {blueprint: $bp, state: 'open'})
    RETURN c.kind AS kind, c.subject AS subject, c.summary AS summary,
           [(c)-[:CAUSED_AT]->(x) | x.uid] AS at, [(c)-[:EXPLAINS]->(a) | a.uid] AS symptoms
    """,
)
RAISED = Query(
    "test.virtual.uplinks.raised",
    """
    MATCH (a:Anomaly {blueprint: $bp, state: 'raised'})
    RETURN a.uid AS uid, a.type AS type, a.summary AS summary, [(a)-[:ON]->(n) | n.uid] AS on
    """,
)
VLAN = Query(
    "test.virtual.uplinks.vlan",
    "MATCH (v:VirtualNetwork {uid: $bp + '/web'}) RETURN v.vlan AS vlan",
)


def snapshot(vlan: int, switch: str) -> dict[str, Any]:
    nic = {"id": "n0", "mac": "02:00:00:00:01:01", "vlan": vlan, "switch": switch}
    return {
        "hypervisors": [{"id": "hv1", "server": "rack1-server1",
                         "switches": [{"name": "dvs0", "uplinks": ["eth0"]},
                                      {"name": "internal", "uplinks": []}]}],
        "vms": [{"id": "web1", "hypervisor": "hv1", "vnics": [nic]}],
    }  # fmt: skip


@pytest.fixture(scope="module")
def bp(blueprints: Blueprints) -> Iterator[str]:
    name = f"t-uplinks-{uuid.uuid4().hex[:8]}"
    blueprints.create(name, "lab-tenants")
    try:
        yield name
    finally:
        blueprints.delete(name)


def test_a_vnic_off_the_trunk_port_is_explained_by_its_virtual_switch_until_moved_back(
    graph: Graph, settings: Settings, bp: str
) -> None:
    publisher = redis.Redis.from_url(settings.redis_url)
    vlan = int(graph.read(VLAN, bp=bp)[0]["vlan"])
    store.sync_snapshot(graph, bp, SOURCE, snapshot(vlan, "dvs0"))
    assert check_blueprint(graph, publisher, bp).open == 0
    assert graph.read(RAISED, bp=bp) == [] and graph.read(CAUSES, bp=bp) == []

    store.sync_snapshot(graph, bp, SOURCE, snapshot(vlan, "internal"))
    result = check_blueprint(graph, publisher, bp)
    uid = f"{bp}/vm_uplink_missing/{SOURCE}/web1/n0"
    assert (result.raised, result.open) == ([uid], 1)
    [anomaly] = graph.read(RAISED, bp=bp)
    assert anomaly["type"] == "vm_uplink_missing"
    assert set(anomaly["on"]) == {f"{bp}/{SOURCE}/web1/n0", f"{bp}/rack1-server1", f"{bp}/web"}
    assert f"does not carry VLAN {vlan} of web tagged" in anomaly["summary"]
    assert "the network is trunked on eth0" in anomaly["summary"]
    [cause] = graph.read(CAUSES, bp=bp)
    assert (cause["kind"], cause["subject"], cause["at"], cause["symptoms"]) == (
        "vswitch_uplink_missing",
        f"{SOURCE}/hv1/internal",
        [f"{bp}/{SOURCE}/hv1/internal"],
        [uid],
    )
    assert "no uplink" in cause["summary"] and "(eth0)" in cause["summary"]

    store.sync_snapshot(graph, bp, SOURCE, snapshot(vlan, "dvs0"))
    fixed = check_blueprint(graph, publisher, bp)
    assert (fixed.cleared, fixed.open) == ([uid], 0)
    assert graph.read(RAISED, bp=bp) == [] and graph.read(CAUSES, bp=bp) == []
