"""On-demand collection through GraphQL and the CLI, on the real Neo4j, Redis and a
Celery worker, without the lab: the deployed devices point at network namespaces that
do not exist, so every one of them is unreachable. The round reports each as such,
marks its liveness unavailable and the engine raises "device unavailable" for each
(the count comes from the blueprint's switches, not from the collector)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.model import Role
from blueprint_engine.design.reader import read_cabling
from blueprint_engine.devices.lifecycle import Event
from blueprint_engine.devices.registry import Devices
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from tests.integration.api_calls import OPERATOR, VIEWER

pytestmark = pytest.mark.integration

MUTATION = """
mutation ($bp: String!) {
  collectTelemetry(blueprint: $bp) {
    blueprint status devices unreachable observations anomaliesRaised seconds
  }
}
"""
DROP = Query(
    "test.collect.drop_devices",
    "MATCH (d:Device) WHERE d.serial STARTS WITH $prefix "
    "OPTIONAL MATCH (d)-[:HAS_CONFIG|HAS_DEPLOYMENT]->(x) DETACH DELETE x, d",
)
STATE = Query(
    "test.collect.state",
    """
    MATCH (d:Device) WHERE d.serial STARTS WITH $prefix
    RETURN d.serial AS serial, d.liveness AS liveness, d.last_collected_at AS at
    """,
)
RAISED = Query(
    "test.collect.raised",
    "MATCH (a:Anomaly {blueprint: $bp, state: 'raised'}) RETURN a.type AS type, a.subject AS s",
)


@dataclass
class Unreachable:
    bp: str
    prefix: str
    switches: list[str]


@pytest.fixture(scope="module")
def fabric(graph: Graph, settings: Settings) -> Iterator[Unreachable]:
    blueprints, devices = Blueprints(graph), Devices(graph)
    bp, prefix = f"t-coll-{uuid.uuid4().hex[:6]}", f"T7{uuid.uuid4().hex[:6]}-"
    blueprints.create(bp, "lab")
    switches = [s.id for s in read_cabling(graph, bp).systems if s.role != Role.SERVER]
    try:
        for system in switches:
            serial = prefix + system
            args = {"transport": "netns", "netns": f"fg-absent-{uuid.uuid4().hex[:8]}"}
            devices.register(
                serial,
                hostname=system,
                profile="frr-vswitch-8x10",
                nos="linux_frr",
                driver="linuxfrr",
                driver_args=args,
                pristine="",
                worker_queue=settings.celery_queue,
            )
            devices.event(serial, Event.ACKNOWLEDGE)
            devices.event(serial, Event.ASSIGN, blueprint=bp, system=system)
            devices.event(serial, Event.DEPLOY)
        yield Unreachable(bp, prefix, switches)
    finally:
        graph.write(DROP, prefix=prefix)
        blueprints.delete(bp)


def gql(client: TestClient, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
    body: dict[str, Any] = client.post(
        "/graphql", json={"query": MUTATION, "variables": variables}, headers=headers
    ).json()
    return body


def test_collect_telemetry_reports_every_unreachable_device(
    graph: Graph, client: TestClient, fabric: Unreachable
) -> None:
    body = gql(client, OPERATOR, bp=fabric.bp)
    assert "errors" not in body, body
    round_ = body["data"]["collectTelemetry"]
    assert round_["status"] == "collected"
    assert round_["devices"] == len(fabric.switches)
    assert sorted(round_["unreachable"]) == sorted(fabric.switches)
    assert round_["observations"] == len(fabric.switches)  # one "device" fact each
    states = graph.read(STATE, prefix=fabric.prefix)
    assert {r["liveness"] for r in states} == {"unavailable"}
    assert all(r["at"] for r in states)
    raised = {(r["type"], r["s"]) for r in graph.read(RAISED, bp=fabric.bp)}
    assert raised == {("device_unavailable", s) for s in fabric.switches}


def test_collect_telemetry_needs_an_operator_and_an_existing_blueprint(
    client: TestClient, fabric: Unreachable
) -> None:
    denied = gql(client, VIEWER, bp=fabric.bp)
    assert denied["errors"][0]["extensions"]["code"] == "forbidden"
    missing = gql(client, OPERATOR, bp=f"absent-{uuid.uuid4().hex[:6]}")
    error = missing["errors"][0]
    assert error["extensions"]["code"] == "not_found"
    assert "no blueprint named" in error["message"]


def test_the_cli_collects_on_demand(fabric: Unreachable) -> None:
    result = CliRunner().invoke(cli, ["collect", fabric.bp])
    assert result.exit_code == 0, result.output
    for system in fabric.switches:
        assert system in result.output  # listed as unreachable
    absent = CliRunner().invoke(cli, ["collect", f"absent-{uuid.uuid4().hex[:6]}"])
    assert absent.exit_code == 1
    assert "no blueprint named" in absent.output


def test_one_device_is_collected_on_demand_by_serial(fabric: Unreachable) -> None:
    from workers.collect import collect_device

    system = fabric.switches[0]
    result = collect_device.delay(fabric.prefix + system).get(timeout=60)
    assert (result["devices"], result["unreachable"]) == (1, [system])
