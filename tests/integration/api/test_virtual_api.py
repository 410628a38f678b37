"""The virtual layer over GraphQL and REST: the push API, VM lists, VMs in impact.

lab-evpn; one hypervisor on rack1-server1 (single-homed on rack1-leaf1) with a VM in
web, one on rack3-server1 (dual-homed on rack3's pair) with a VM in db.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.virtual import store
from tests.integration.api_calls import OPERATOR, VIEWER, gql

pytestmark = pytest.mark.integration

NODES = Query(
    "test.virtual.api.nodes",
    "MATCH (n:Vm {blueprint: $bp}) RETURN n.uid AS uid, n.fp AS fp ORDER BY uid",
)
CAUSES = Query(
    "test.virtual.api.causes",
    """
    MATCH (c:RootCause {blueprint: $bp, state: 'open'})
    RETURN c.kind AS kind, c.subject AS subject, c.summary AS summary,
           [(c)-[:CAUSED_AT]->(x) | x.uid] AS at, [(c)-[:EXPLAINS]->(a) | a.uid] AS symptoms
    """,
)
SYNC = """
mutation($bp: String!, $src: String!, $snap: JSON!) {
  syncVirtualInventory(blueprint: $bp, source: $src, snapshot: $snap) {
    vms vnics created updated deleted vnicsChecked anomaliesRaised anomaliesOpen } }
"""
EVENTS = """
mutation($bp: String!, $src: String!, $events: JSON!) {
  virtualInventoryEvents(blueprint: $bp, source: $src, events: $events) {
    created updated deleted anomaliesRaised anomaliesCleared anomaliesOpen } }
"""
VMS = """
query($bp: String!, $net: String, $zone: String, $hv: String) {
  vms(blueprint: $bp, network: $net, routingZone: $zone, hypervisor: $hv) {
    id name server rack vnics { mac vlan network routingZone } } }
"""
IMPACT = """
query($bp: String!, $id: String!) { impact(blueprint: $bp, kind: SYSTEM, id: $id) {
  serversLosingConnectivity { id } vmsLosingConnectivity { id server networks effect }
  vmsLosingRedundancy { id } } }
"""

TOPOLOGY = "query($bp: String!) { topology(blueprint: $bp) { impactedVms systems { id vms } } }"
ELEMENT = """
query($bp: String!, $id: String!) {
  topologyElement(blueprint: $bp, id: $id) { impact { kind id } } }
"""


def snapshot(web_vlan: int, db_vlan: int) -> dict[str, Any]:
    return {
        "hypervisors": [
            {
                "id": "h1",
                "server": "rack1-server1",
                "switches": [{"name": "br0", "uplinks": ["eth0"]}],
            },
            {"id": "h3", "server": "rack3-server1"},
        ],
        "vms": [
            {
                "id": "web1",
                "hypervisor": "h1",
                "vnics": [
                    {"id": "n0", "mac": "02:01:00:00:00:01", "vlan": web_vlan, "switch": "br0"}
                ],
            },
            {
                "id": "db1",
                "hypervisor": "h3",
                "vnics": [{"id": "n0", "mac": "02:01:00:00:00:02", "vlan": db_vlan}],
            },
        ],
    }


@pytest.fixture(scope="module")
def bp(graph: Graph, client: TestClient) -> Iterator[str]:
    blueprints = Blueprints(graph)
    name = f"t-virtual-api-{uuid.uuid4().hex[:8]}"
    blueprints.create(name, "lab-evpn")
    yield name
    blueprints.delete(name)


def vlans(graph: Graph, bp: str) -> dict[str, int]:
    rows = graph.read(
        Query(
            "test.virtual.api.vlans",
            "MATCH (v:VirtualNetwork {blueprint: $bp}) RETURN v.id AS id, v.vlan AS vlan",
        ),
        bp=bp,
    )
    return {r["id"]: r["vlan"] for r in rows}


def test_graphql_sync_lists_and_impact(client: TestClient, graph: Graph, bp: str) -> None:
    v = vlans(graph, bp)
    body = gql(client, SYNC, OPERATOR, bp=bp, src="kvm", snap=snapshot(v["web"], v["db"]))
    assert "errors" not in body, body
    row = body["data"]["syncVirtualInventory"]
    assert (row["vms"], row["vnics"], row["vnicsChecked"], row["anomaliesOpen"]) == (2, 2, 2, 0)
    web = gql(client, VMS, VIEWER, bp=bp, net="web")["data"]["vms"]
    assert [(r["id"], r["server"], r["vnics"][0]["network"]) for r in web] == [
        ("kvm/web1", "rack1-server1", "web")
    ]
    zone = gql(client, VMS, VIEWER, bp=bp, zone="blue")["data"]["vms"]
    assert {r["id"] for r in zone} == {"kvm/web1", "kvm/db1"}
    on_h3 = gql(client, VMS, VIEWER, bp=bp, hv="kvm/h3")["data"]["vms"]
    assert [r["id"] for r in on_h3] == ["kvm/db1"]
    hit = gql(client, IMPACT, VIEWER, bp=bp, id="rack1-leaf1")["data"]["impact"]
    assert hit["serversLosingConnectivity"] == [{"id": "rack1-server1"}]
    assert hit["vmsLosingConnectivity"] == [
        {
            "id": "kvm/web1",
            "server": "rack1-server1",
            "networks": ["web"],
            "effect": "connectivity_lost",
        }
    ]
    pair = gql(client, IMPACT, VIEWER, bp=bp, id="rack3-leaf2")["data"]["impact"]
    assert pair["vmsLosingRedundancy"] == [{"id": "kvm/db1"}]
    # the topology page's read: each server with the VMs of its hypervisor
    topo = gql(client, TOPOLOGY, VIEWER, bp=bp)["data"]["topology"]
    hosting = {s["id"]: s["vms"] for s in topo["systems"] if s["vms"]}
    assert hosting == {"rack1-server1": ["kvm/web1"], "rack3-server1": ["kvm/db1"]}
    assert topo["impactedVms"] == []  # nothing has failed
    element = gql(client, ELEMENT, VIEWER, bp=bp, id="rack1-leaf1")["data"]["topologyElement"]
    assert {"kind": "vm_losing_connectivity", "id": "kvm/web1"} in element["impact"]


def test_graphql_events_raise_and_clear_vm_network_missing(
    client: TestClient, graph: Graph, bp: str
) -> None:
    v = vlans(graph, bp)
    gql(client, SYNC, OPERATOR, bp=bp, src="kvm", snap=snapshot(v["web"], v["db"]))
    vm = snapshot(v["web"], v["db"])["vms"][0]
    wrong = {**vm, "vnics": [{**vm["vnics"][0], "vlan": 3999}]}
    body = gql(
        client, EVENTS, OPERATOR, bp=bp, src="kvm", events=[{"op": "vm_upsert", "vm": wrong}]
    )
    row = body["data"]["virtualInventoryEvents"]
    assert row["updated"] == 1 and row["anomaliesRaised"] == [
        f"{bp}/vm_network_missing/kvm/web1/n0"
    ]
    # explained by the virtual layer's own root cause, at the vNIC
    [cause] = graph.read(CAUSES, bp=bp)
    assert (cause["kind"], cause["subject"], cause["at"]) == (
        "vnic_vlan_not_carried",
        "kvm/web1/n0",
        [f"{bp}/kvm/web1/n0"],
    )
    assert cause["symptoms"] == [f"{bp}/vm_network_missing/kvm/web1/n0"]
    assert "VLAN 3999" in cause["summary"] and "no virtual network carries it" in cause["summary"]
    body = gql(client, EVENTS, OPERATOR, bp=bp, src="kvm", events=[{"op": "vm_upsert", "vm": vm}])
    row = body["data"]["virtualInventoryEvents"]
    assert row["anomaliesCleared"] == [f"{bp}/vm_network_missing/kvm/web1/n0"]
    assert row["anomaliesOpen"] == 0
    assert graph.read(CAUSES, bp=bp) == []


def test_graphql_refuses_viewers_and_bad_values_naming_them(
    client: TestClient, graph: Graph, bp: str
) -> None:
    v = vlans(graph, bp)
    before = graph.read(NODES, bp=bp)
    denied = gql(client, SYNC, VIEWER, bp=bp, src="kvm", snap=snapshot(v["web"], v["db"]))
    assert denied["errors"][0]["extensions"]["code"] == "forbidden"
    bad = snapshot(4095, v["db"])
    body = gql(client, SYNC, OPERATOR, bp=bp, src="kvm", snap=bad)
    error = body["errors"][0]
    assert "vms[0].vnics[0].vlan 4095" in error["message"]
    assert error["extensions"]["allowed"].startswith("a VLAN id: an integer from 1 to 4094")
    assert graph.read(NODES, bp=bp) == before


def test_rest_snapshot_events_and_vms_are_in_the_openapi_document(
    client: TestClient, graph: Graph, bp: str
) -> None:
    v = vlans(graph, bp)
    url = f"/api/blueprints/{bp}/virtual/rest-src"
    got = client.put(
        f"{url}/snapshot",
        json={
            "hypervisors": [{"id": "h2", "server": "rack2-server1"}],
            "vms": [
                {
                    "id": "w2",
                    "hypervisor": "h2",
                    "vnics": [{"id": "n0", "mac": "02:02:00:00:00:01", "vlan": v["web"]}],
                }
            ],
        },
        headers=OPERATOR,
    )
    assert got.status_code == 200, got.text
    assert got.json()["created"] == 3
    listed = client.get(f"/api/blueprints/{bp}/vms", params={"network": "web"}, headers=VIEWER)
    assert "rest-src/w2" in {r["id"] for r in listed.json()}
    bad = client.post(
        f"{url}/events", json={"events": [{"op": "vm_delete", "id": "nope"}]}, headers=OPERATOR
    )
    assert bad.status_code == 404 and "no vm 'nope'" in bad.json()["error"]["message"]
    gone = client.post(
        f"{url}/events", json={"events": [{"op": "vm_delete", "id": "w2"}]}, headers=OPERATOR
    )
    assert gone.json()["deleted"] == 2
    assert client.put(f"{url}/snapshot", json={}, headers=VIEWER).status_code == 403
    two = client.get(f"/api/blueprints/{bp}/vms", params={"network": "web", "hypervisor": "x"})
    assert two.status_code == 400
    paths = client.get("/api/openapi.json").json()["paths"]
    assert "put" in paths["/api/blueprints/{bp}/virtual/{source}/snapshot"]
    assert "post" in paths["/api/blueprints/{bp}/virtual/{source}/events"]
    assert "get" in paths["/api/blueprints/{bp}/vms"]
    doc = paths["/api/blueprints/{bp}/virtual/{source}/snapshot"]["put"]
    assert "400" in doc["responses"] and "requestBody" in doc


def test_the_cli_pushes_a_file_through_the_adapter_and_lists_by_network(
    graph: Graph, bp: str, tmp_path: Path
) -> None:
    for other in ("kvm", "rest-src"):  # the other tests' sources leave the servers free
        store.sync_snapshot(graph, bp, other, {})
    v = vlans(graph, bp)
    path = tmp_path / "inventory.json"
    path.write_text(
        json.dumps({**snapshot(v["web"], v["db"]), "events": [{"op": "vm_delete", "id": "db1"}]})
    )
    runner = CliRunner()
    pushed = runner.invoke(app, ["virtual-sync", bp, "cli-src", str(path)])
    assert pushed.exit_code == 0, pushed.output
    assert "cli-src: 2 hypervisor(s), 2 VM(s)" in pushed.output  # the snapshot
    assert "2 hypervisor(s), 1 VM(s)" in pushed.output  # then its event
    listed = runner.invoke(app, ["vms", bp, "--network", "web"], env={"COLUMNS": "250"})
    assert listed.exit_code == 0 and "cli-src/web1" in listed.output
    assert (
        "cli-src/db1"
        not in runner.invoke(app, ["vms", bp, "--network", "db"], env={"COLUMNS": "250"}).output
    )
    path.write_text("[1, 2]")
    refused = runner.invoke(app, ["virtual-sync", bp, "cli-src", str(path)])
    assert refused.exit_code == 1 and "not a JSON object" in refused.output
