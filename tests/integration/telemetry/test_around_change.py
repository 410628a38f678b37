"""Before/after view around a committed change: which anomalies it raised or cleared."""

from __future__ import annotations

import time

import pytest
import redis
from starlette.testclient import TestClient

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.model import LinkRole, Role
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import Settings
from blueprint_engine.virtual import store
from telemetry.ingest import ingest
from tests.integration.api_calls import gql
from tests.integration.telemetry import fabric_state as fs

pytestmark = pytest.mark.integration

AROUND = """
query($bp: String!, $rev: Int!) { aroundChange(blueprint: $bp, revision: $rev, windowS: 120) {
  revision openBefore { uid } raised { uid type subject } cleared { uid }
  vmsAffected { id server effect change } } }
"""


def test_a_cable_cut_after_a_commit_shows_as_raised_by_it(
    graph: Graph, settings: Settings, client: TestClient
) -> None:
    publisher = redis.Redis.from_url(settings.redis_url)
    with fs.deployed_fabric(graph) as fabric:
        healthy = fs.healthy(fabric)
        ingest(graph, publisher, fs.observations(fabric, healthy, time.time() - 60))
        servers = sorted(s.id for s in fabric.design.systems if s.role == Role.SERVER)
        store.sync_snapshot(
            graph,
            fabric.bp,
            "kvm",
            {
                "hypervisors": [{"id": f"hv-{s}", "server": s} for s in servers],
                "vms": [{"id": f"{s}-vm", "hypervisor": f"hv-{s}"} for s in servers],
            },
        )
        blueprints = Blueprints(graph)
        version = blueprints.staging.stage(
            fabric.bp,
            {
                "kind": "set_property",
                "params": {
                    "kind": "System",
                    "id": "rack1-server1",
                    "key": "hostname",
                    "value": "web1",
                },
            },
            base_version=blueprints.staging.version(fabric.bp),
            author="test",
        )
        revision = blueprints.commit(
            fabric.bp, base_version=version, author="test", message="rename a server"
        ).number
        link = next(lk for lk in fabric.design.links if lk.role == LinkRole.SPINE_LEAF)
        cut = fs.cable_cut(fabric, healthy, link.id)
        ingest(graph, publisher, fs.observations(fabric, fs.changed(healthy, cut), time.time() + 1))

        body = gql(client, AROUND, bp=fabric.bp, rev=revision)
        assert "errors" not in body, body
        window = body["data"]["aroundChange"]
        assert window["revision"] == revision
        assert window["openBefore"] == [] and window["cleared"] == []
        down = {a["subject"] for a in window["raised"] if a["type"] == "interface_down"}
        assert down == {link.a, link.b}  # both ends of the cut cable, from the design
        # the VMs of the servers cabled to the cut uplink's leaf lose a path
        leaf = fabric.iface(link.b).system
        behind = {
            fabric.iface(end).system
            for lk in fabric.links_of(leaf)
            for end in (lk.a, lk.b)
            if fabric.role(fabric.iface(end).system) == Role.SERVER
        }
        got = {(v["id"], v["server"], v["change"]) for v in window["vmsAffected"]}
        assert behind and got == {(f"kvm/{s}-vm", s, "hurt") for s in behind}

        unknown = gql(client, AROUND, bp=fabric.bp, rev=revision + 50)
        assert f"has no revision {revision + 50}" in unknown["errors"][0]["message"]
