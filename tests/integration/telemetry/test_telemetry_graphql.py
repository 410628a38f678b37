"""Telemetry over GraphQL on the real Neo4j and Redis: anomalies (filters, cursor pages),
root causes with symptoms (one query per level), observation history, and the
``events`` subscription over a real WebSocket (graphql-transport-ws)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

from blueprint_engine.design.model import LinkRole
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import Settings
from telemetry.ingest import ingest
from tests.integration.api_calls import gql
from tests.integration.telemetry import fabric_state as fs

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def publisher(settings: Settings) -> Iterator[redis.Redis]:
    r = redis.Redis.from_url(settings.redis_url)
    yield r
    r.close()


class Faulty:
    """A deployed fabric with one cut spine-leaf cable and one server down."""

    def __init__(self, graph: Graph, publisher: redis.Redis, fabric: fs.Fabric) -> None:
        self.fabric = fabric
        self.healthy = fs.healthy(fabric)
        self.link = next(lk for lk in fabric.design.links if lk.role == LinkRole.SPINE_LEAF)
        self.server = "rack1-server1"
        faulty = fs.cable_cut(fabric, self.healthy, self.link.id)
        self.faulty = fs.server_down(fabric, faulty, self.server)
        start = time.time() - 3600
        ingest(graph, publisher, fs.observations(fabric, self.healthy, start))
        ingest(
            graph,
            publisher,
            fs.observations(fabric, fs.changed(self.healthy, self.faulty), start + 1800),
        )


@pytest.fixture(scope="module")
def faulty(graph: Graph, publisher: redis.Redis) -> Iterator[Faulty]:
    with fs.deployed_fabric(graph) as fabric:
        yield Faulty(graph, publisher, fabric)


ANOMALIES = """
query($bp: String!, $device: String, $type: String, $state: String, $first: Int!,
      $after: String) {
  anomalies(blueprint: $bp, device: $device, type: $type, state: $state, first: $first,
            after: $after) {
    items { uid type subject device state expected suppressed actualValue firstSeen
            rootCause { kind subject } }
    endCursor hasNextPage } }
"""


def anomalies(client: TestClient, bp: str, **filters: Any) -> list[dict[str, Any]]:
    """Every page, following the cursor."""
    items: list[dict[str, Any]] = []
    after = None
    while True:
        body = gql(
            client,
            ANOMALIES,
            bp=bp,
            first=filters.pop("first", 3),
            after=after,
            device=filters.get("device"),
            type=filters.get("type"),
            state=filters.get("state"),
        )
        assert "errors" not in body, body
        page = body["data"]["anomalies"]
        items += page["items"]
        if not page["hasNextPage"]:
            return items
        after = page["endCursor"]


def test_anomalies_filter_and_page_with_a_cursor(client: TestClient, faulty: Faulty) -> None:
    fab = faulty.fabric
    raised = anomalies(client, fab.bp, state="raised")
    cut_ends = {faulty.link.a, faulty.link.b}
    server_ports = {
        end
        for lk in fab.links_of(faulty.server)
        for end in (lk.a, lk.b)
        if fab.iface(end).system != faulty.server
    }
    downs = {a["subject"] for a in raised if a["type"] == "interface_down"}
    assert downs == cut_ends | server_ports
    assert len({a["uid"] for a in raised}) == len(raised)  # pages never overlap
    by_cause = {a["subject"]: a["rootCause"] for a in raised if a["type"] == "interface_down"}
    assert {by_cause[e]["kind"] for e in cut_ends} == {"cable_cut"}
    assert {by_cause[e]["kind"] for e in server_ports} == {"server_down"}
    spine = fab.iface(faulty.link.a).system
    mine = anomalies(client, fab.bp, device=spine, state="raised")
    assert mine and {a["device"] for a in mine} == {spine}
    only = anomalies(client, fab.bp, type="bgp_session_down")
    assert {a["subject"] for a in only} == {s.id for s in fab.sessions_over(faulty.link.id)}


def test_bad_filters_name_what_is_allowed(client: TestClient, faulty: Faulty) -> None:
    body = gql(client, ANOMALIES, bp=faulty.fabric.bp, first=5, type="melted")
    [error] = body["errors"]
    assert "melted" in error["message"] and "cabling" in error["extensions"]["allowed"]
    body = gql(client, ANOMALIES, bp="no-such-blueprint-x", first=5)
    assert body["errors"][0]["extensions"]["code"] == "not_found"


CAUSES = """
query($bp: String!) { rootCauses(blueprint: $bp, state: "open") {
  kind subject state summary evidence at { label id }
  symptoms { type subject device state } } }
"""


def test_root_causes_with_symptoms_cost_one_query_per_level(
    client: TestClient, faulty: Faulty
) -> None:
    stats = client.app.state.graph.stats  # type: ignore[attr-defined]
    before = dict(stats.calls)
    body = gql(client, CAUSES, bp=faulty.fabric.bp)
    calls = {k: v - before.get(k, 0) for k, v in stats.calls.items() if v != before.get(k, 0)}
    causes = {c["kind"]: c for c in body["data"]["rootCauses"]}
    assert set(causes) == {"cable_cut", "server_down"}
    assert calls.get("telemetry.reads.symptoms_of") == 1  # both causes' symptoms at once
    cut = causes["cable_cut"]
    assert cut["at"] == [{"label": "Link", "id": faulty.link.id}]
    assert {(s["type"], s["subject"]) for s in cut["symptoms"]} >= {
        ("interface_down", faulty.link.a),
        ("interface_down", faulty.link.b),
    }
    assert causes["server_down"]["evidence"]["impacted_servers"][0]["status"] == "isolated"


HISTORY = """
query($bp: String!, $subject: String!) { telemetry(blueprint: $bp, subject: $subject,
  kind: "interface") { kind observer value at } }
"""


def test_history_of_an_interface_lists_each_change(client: TestClient, faulty: Faulty) -> None:
    body = gql(client, HISTORY, bp=faulty.fabric.bp, subject=faulty.link.a)
    samples = body["data"]["telemetry"]
    assert [s["value"]["oper_up"] for s in samples] == [False, True]  # newest first
    assert samples[0]["at"] > samples[1]["at"]


def _subscribe(ws: Any, bp: str, kinds: list[str]) -> None:
    ws.send_json({"type": "connection_init", "payload": {"token": "dev-viewer"}})
    assert ws.receive_json()["type"] == "connection_ack"
    ws.send_json(
        {
            "id": "1",
            "type": "subscribe",
            "payload": {
                "query": "subscription($bp: String, $kinds: [String!]) { events(blueprint: $bp, "
                "kinds: $kinds) { kind blueprint at payload } }",
                "variables": {"bp": bp, "kinds": kinds},
            },
        }
    )


def _wait_for_subscriber(r: redis.Redis, channel: str, before: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if dict(r.pubsub_numsub(channel))[channel.encode()] > before:
            return
        time.sleep(0.05)
    raise AssertionError(f"no subscriber appeared on {channel}")


def test_the_events_subscription_streams_anomalies_over_a_websocket(
    client: TestClient, publisher: redis.Redis, graph: Graph
) -> None:
    channel = "fabricgraph.events.anomaly"
    with fs.deployed_fabric(graph) as fab:
        healthy = fs.healthy(fab)
        ingest(graph, publisher, fs.observations(fab, healthy, time.time() - 60))
        link = next(lk for lk in fab.design.links if lk.role == LinkRole.SPINE_LEAF)
        faulty = fs.cable_cut(fab, healthy, link.id)
        before = dict(publisher.pubsub_numsub(channel))[channel.encode()]
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            _subscribe(ws, fab.bp, ["anomaly"])
            _wait_for_subscriber(publisher, channel, before)
            result = ingest(
                graph, publisher, fs.observations(fab, fs.changed(healthy, faulty), time.time())
            )
            wanted = {a["uid"] for a in result.anomalies_raised}
            assert wanted  # the cut raises anomalies: both ends, sessions, routes
            got: set[str] = set()
            while got != wanted:
                message = ws.receive_json()
                assert message["type"] == "next", message
                event = message["payload"]["data"]["events"]
                assert (event["kind"], event["blueprint"]) == ("anomaly", fab.bp)
                assert event["payload"]["state"] == "raised"
                got.add(event["payload"]["uid"])
            ws.send_json({"id": "1", "type": "complete"})
    assert json.dumps(sorted(got)) == json.dumps(sorted(wanted))


def test_the_cli_lists_anomalies_and_root_causes(faulty: Faulty) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    runner = CliRunner()
    bp = faulty.fabric.bp
    shown = runner.invoke(
        app, ["anomalies", bp, "--type", "interface_down"], env={"COLUMNS": "250"}
    )
    assert shown.exit_code == 0, shown.output
    for end in (faulty.link.a, faulty.link.b):
        assert end in shown.output
    causes = runner.invoke(app, ["root-causes", bp], env={"COLUMNS": "250"})
    assert causes.exit_code == 0, causes.output
    assert "cable_cut" in causes.output and "server_down" in causes.output
    assert f"{faulty.server} (isolated)" in causes.output
    wrong = runner.invoke(app, ["anomalies", bp, "--state", "bogus"])
    assert wrong.exit_code == 1 and "raised, cleared" in wrong.output
