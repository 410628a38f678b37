"""Probes through the three edges: GraphQL (createProbe, probes, deleteProbe), REST (in
the OpenAPI document) and the CLI; roles enforced, refusals name what is allowed and
change nothing; anomalies read over GraphQL carry the probe."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app
from blueprint_engine.graph.db import Graph
from telemetry.probes.predefined import NAMES
from tests.integration.api_calls import OPERATOR, VIEWER, gql
from tests.integration.telemetry import fabric_state as fs

pytestmark = pytest.mark.integration

SCOPE = (
    "MATCH (:System {blueprint: $bp, role: 'spine'})-[:HAS_INTERFACE]->(i:Interface)"
    "<-[:ENDPOINT]-(:Link) RETURN i.id AS subject"
)


def definition(name: str, **over: Any) -> dict[str, Any]:
    return {
        "name": name,
        "scope": SCOPE,
        "kind": "counters",
        "field": "rx_bps",
        "processors": [
            {"type": "average", "window_s": 60},
            {"type": "threshold", "op": "gt", "value": 9e9},
        ],
        "anomaly": {"type": "spine_port_hot", "severity": "info"},
        "description": "a spine port receiving over 9 Gb/s for a minute",
        **over,
    }


@pytest.fixture(scope="module")
def bp(graph: Graph) -> Iterator[str]:
    with fs.deployed_fabric(graph) as fabric:
        yield fabric.bp


def _names(client: TestClient, bp: str) -> list[str]:
    response = client.get(f"/api/blueprints/{bp}/probes")
    assert response.status_code == 200, response.text
    return [p["name"] for p in response.json()]


def test_rest_creates_lists_and_deletes_a_probe(client: TestClient, bp: str) -> None:
    response = client.post(f"/api/blueprints/{bp}/probes", json=definition("hot"), headers=OPERATOR)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["subjects"] == 8 and created["anomaly"]["type"] == "spine_port_hot"
    assert created["created_by"] == "operator" or created["created_by"]
    names = _names(client, bp)
    assert set(names[:3]) == NAMES and "hot" in names
    again = client.post(f"/api/blueprints/{bp}/probes", json=definition("hot"), headers=OPERATOR)
    assert again.status_code == 409
    deleted = client.delete(f"/api/blueprints/{bp}/probes/hot", headers=OPERATOR)
    assert deleted.status_code == 200, deleted.text
    assert "hot" not in _names(client, bp)


@pytest.mark.parametrize(
    ("over", "status", "says"),
    [
        ({"processors": [{"type": "current"}] * 5}, 400, "2 to 4"),
        (
            {
                "processors": [
                    {"type": "max", "window_s": 99999},
                    {"type": "threshold", "op": "gt", "value": 1},
                ]
            },
            400,
            "1 to 3600",
        ),
        ({"scope": "MATCH (n) DETACH DELETE n RETURN 1 AS subject"}, 400, "read-only"),
        ({"field": "colour"}, 400, "rx_bps"),
        ({"anomaly": {"type": "cabling"}}, 400, "not a built-in type"),
    ],
)
def test_rest_refusals_name_what_is_allowed_and_change_nothing(
    client: TestClient, bp: str, over: dict[str, Any], status: int, says: str
) -> None:
    before = _names(client, bp)
    response = client.post(
        f"/api/blueprints/{bp}/probes", json=definition("refused", **over), headers=OPERATOR
    )
    assert response.status_code == status, response.text
    assert says in json.dumps(response.json())
    assert _names(client, bp) == before


def test_rest_needs_an_operator_and_refuses_predefined_and_unknown_names(
    client: TestClient, bp: str
) -> None:
    url = f"/api/blueprints/{bp}/probes"
    assert client.post(url, json=definition("x")).status_code == 401
    assert client.post(url, json=definition("x"), headers=VIEWER).status_code == 403
    flapping = client.delete(f"{url}/interface-flapping", headers=OPERATOR)
    assert flapping.status_code == 409
    missing = client.delete(f"{url}/nope", headers=OPERATOR)
    assert missing.status_code == 404 and "nope" in missing.text
    assert client.get("/api/blueprints/no-such-bp/probes").status_code == 404


def test_the_openapi_document_describes_the_probe_routes(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/blueprints/{bp}/probes"])
    assert "delete" in paths["/api/blueprints/{bp}/probes/{name}"]
    post = paths["/api/blueprints/{bp}/probes"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["processors"]["maxItems"] == 4


def test_graphql_creates_lists_and_deletes_a_probe(client: TestClient, bp: str) -> None:
    create = """mutation($bp: String!, $d: JSON!) {
        createProbe(blueprint: $bp, definition: $d) { name subjects anomalyType severity
                                                      processors predefined } }"""
    body = gql(client, create, OPERATOR, bp=bp, d=definition("gql-hot"))
    assert "errors" not in body, body
    assert body["data"]["createProbe"]["subjects"] == 8
    assert body["data"]["createProbe"]["predefined"] is False
    listed = gql(
        client, "query($bp: String!) { probes(blueprint: $bp) { name predefined } }", bp=bp
    )
    assert {"name": "gql-hot", "predefined": False} in listed["data"]["probes"]
    refused = gql(client, create, OPERATOR, bp=bp, d=definition("gql-bad", kind="weather"))
    assert refused["errors"][0]["extensions"]["code"] == "invalid_input"
    assert "bgp_prefixes" in refused["errors"][0]["extensions"]["allowed"]
    viewer = gql(client, create, VIEWER, bp=bp, d=definition("gql-viewer"))
    assert "errors" in viewer
    delete = 'mutation($bp: String!) { deleteProbe(blueprint: $bp, name: "gql-hot") }'
    assert gql(client, delete, OPERATOR, bp=bp)["data"]["deleteProbe"] == "gql-hot"
    assert "gql-hot" not in _names(client, bp)


def test_the_cli_creates_lists_and_deletes_a_probe(tmp_path: Path, bp: str) -> None:
    file = tmp_path / "probe.yaml"
    file.write_text(
        "name: cli-hot\n"
        f'scope: "{SCOPE}"\n'
        "kind: counters\nfield: tx_bps\n"
        "processors:\n  - {type: max, window_s: 30}\n"
        "  - {type: threshold, op: gt, value: 10000000000}\n"
        "anomaly: {type: spine_port_hot, severity: warning}\n"
    )
    runner = CliRunner()
    created = runner.invoke(app, ["probe", "create", bp, str(file)])
    assert created.exit_code == 0, created.output
    assert "created probe cli-hot" in created.output and "8 subjects" in created.output
    listed = runner.invoke(app, ["probe", "list", bp], env={"COLUMNS": "220"})
    assert "cli-hot" in listed.output and "interface-flapping" in listed.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: cli-bad\nscope: x\n")
    refused = runner.invoke(app, ["probe", "create", bp, str(bad)])
    assert refused.exit_code == 1 and "missing keys" in refused.output
    deleted = runner.invoke(app, ["probe", "delete", bp, "cli-hot"])
    assert deleted.exit_code == 0, deleted.output
    listed = runner.invoke(app, ["probe", "list", bp, "--json"])
    assert "cli-hot" not in listed.output
