"""Items 5, 6 and 12: bodies counted as they arrive, strict JSON on every JSON route,
GraphQL budgets and pagination, 401 for bad tokens, subscriptions need a token."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets.sync.client as ws_client
from websockets.exceptions import ConnectionClosed

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Graph

pytestmark = pytest.mark.integration

OPERATOR = {"Authorization": "Bearer dev-operator"}
VIEWER = {"Authorization": "Bearer dev-viewer"}
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def bp(graph: Graph) -> Iterator[str]:
    blueprints = Blueprints(graph)
    name = f"t-hostile-{uuid.uuid4().hex[:8]}"
    blueprints.create(name, "lab")
    yield name
    blueprints.delete(name)


def json_routes(bp: str) -> list[tuple[str, str, dict[str, str]]]:
    return [
        ("POST", "/api/cypher", {**VIEWER, **JSON}),
        ("POST", "/api/catalogue/logical_devices", {**OPERATOR, **JSON}),
        ("POST", "/api/agents", {**OPERATOR, **JSON}),
        ("PUT", f"/api/blueprints/{bp}/pools/asn-leaf", {**OPERATOR, **JSON}),
        ("PUT", f"/api/blueprints/{bp}/virtual/src/snapshot", {**OPERATOR, **JSON}),
        ("POST", f"/api/blueprints/{bp}/virtual/src/events", {**OPERATOR, **JSON}),
        ("POST", "/graphql", JSON),
    ]


def chunks(total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b" " * min(size, total - sent)
        sent += size


@pytest.mark.parametrize("megabytes", [10, 30])
def test_chunked_bodies_over_the_limit_are_refused_on_every_route(
    http: httpx.Client, bp: str, megabytes: int
) -> None:
    for method, path, headers in json_routes(bp):
        response = http.request(
            method, path, content=chunks(megabytes * 1_000_000), headers=headers
        )
        assert response.status_code == 413, (path, response.text)
        assert "at most 1000000 bytes" in response.json()["error"]["allowed"]
    assert http.get("/health/live").status_code == 200


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b'{"query": "RETURN 1", "params": {"x": NaN}}', "NaN"),
        (b'{"query": "RETURN 1", "params": {"x": Infinity}}', "Infinity"),
        (b'{"query": "RETURN 1", "params": {"x": ' + b"9" * 4000 + b"}}", "4000 digits"),
        (b'{"query": "RETURN 1", "params": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "nests"),
    ],
)
def test_hostile_json_is_a_400_naming_the_problem_on_every_json_route(
    http: httpx.Client, bp: str, body: bytes, named: str
) -> None:
    for method, path, headers in json_routes(bp):
        response = http.request(method, path, content=body, headers=headers)
        assert response.status_code == 400, (path, response.status_code, response.text)
        assert named in response.text, (path, response.text)


def gql(http: httpx.Client, query: str, headers: dict[str, str] | None = None) -> dict[str, object]:
    body: dict[str, object] = http.post(
        "/graphql", json={"query": query}, headers=headers or {}
    ).json()
    return body


def test_graphql_depth_aliases_and_fields_have_a_budget_stricter_for_anonymous(
    http: httpx.Client, bp: str
) -> None:
    nested = f'{{ blueprint(name: "{bp}") {{ systems {{ interfaces {{ link {{ id }} }} }} }} }}'
    assert "errors" not in gql(http, nested)
    # introspection is the schema's recursive part: 150 levels of it
    depth150 = (
        '{ __type(name: "Query") { ' + "fields { type { " * 75 + "name" + " } }" * 75 + " } }"
    )
    for headers in ({}, OPERATOR):
        refused = gql(http, depth150, headers)
        assert refused["data"] is None and "depth" in str(refused["errors"]), refused
    aliases = (
        "{ "
        + " ".join(
            f'b{i}: blueprint(name: "{bp}") {{ systems {{ interfaces {{ name }} }} }}'
            for i in range(30)
        )
        + " }"
    )
    anonymous = gql(http, aliases)
    assert "30 aliases" in str(anonymous["errors"])  # anonymous: at most 20
    with_token = gql(http, aliases, VIEWER)  # a token: at most 100 aliases, 2000 fields
    assert "errors" not in with_token and len(with_token["data"]) == 30  # type: ignore[arg-type]
    thousand = (
        "{ "
        + " ".join(
            f'b{i}: blueprint(name: "{bp}") {{ systems {{ interfaces {{ name }} }} }}'
            for i in range(1000)
        )
        + " }"
    )
    refused = gql(http, thousand, VIEWER)  # ran 44 s and returned 12 MB before
    assert refused["data"] is None and "10000 tokens" in str(refused["errors"])
    tokens = "{ " + "graphVersion " * 3000 + "}"
    assert "token" in str(gql(http, tokens)["errors"]).lower()


@pytest.mark.parametrize(
    ("limit", "offset", "named"),
    [(-1, 0, "limit -1"), (10, -5, "offset -5"), (20_000, 0, "limit 20000")],
)
def test_pagination_out_of_range_is_an_error_naming_the_range(
    http: httpx.Client, bp: str, limit: int, offset: int, named: str
) -> None:
    query = (
        f'{{ blueprint(name: "{bp}") {{ systems(limit: {limit}, offset: {offset}) {{ id }} }} }}'
    )
    body = gql(http, query)
    assert named in str(body["errors"]) and "0..10000" in str(body["errors"])
    rest = http.get(
        f"/api/blueprints/{bp}/pools/asn-leaf/resources", params={"limit": limit, "offset": offset}
    )
    assert rest.status_code == 400 and named in rest.json()["error"]["message"]


def test_a_bad_token_is_401_with_www_authenticate_and_a_low_role_stays_403(
    http: httpx.Client, bp: str
) -> None:
    bad = http.post(
        "/graphql",
        json={"query": "{ graphVersion }"},
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert bad.status_code == 401 and bad.headers["www-authenticate"].startswith("Bearer")
    url = f"/api/blueprints/{bp}/pools/asn-leaf"
    anonymous = http.put(url, json={"ranges": ["65100-65200"]})
    assert anonymous.status_code == 401 and "www-authenticate" in anonymous.headers
    viewer = http.put(url, json={"ranges": ["65100-65200"]}, headers=VIEWER)
    assert viewer.status_code == 403 and "www-authenticate" not in viewer.headers


EVENTS = 'subscription { events(kinds: ["anomaly"]) { kind } }'
SUBSCRIBE = {"id": "1", "type": "subscribe", "payload": {"query": EVENTS}}


def test_subscriptions_need_a_token_in_connection_init(served: str) -> None:
    import json

    url = served.replace("http://", "ws://") + "/graphql"
    with ws_client.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        with pytest.raises(ConnectionClosed):  # closed by the server: 4403
            ws.recv(timeout=10)
        assert ws.close_code == 4403
    with ws_client.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        ws.send(json.dumps({"type": "connection_init", "payload": {"token": "wrong"}}))
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 4403
    with ws_client.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        ws.send(json.dumps({"type": "connection_init", "payload": {"token": "dev-viewer"}}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send(json.dumps(SUBSCRIBE))
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "pong"  # subscribed and alive


def test_graphiql_is_served_from_local_assets_under_a_content_security_policy(
    http: httpx.Client,
) -> None:
    from api.app import STATIC
    from api.graphql.view import GRAPHIQL_ASSETS, graphiql_enabled

    if not graphiql_enabled("auto", STATIC / "graphiql"):
        pytest.skip("GraphiQL's assets are not installed (deploy/graphiql.sh needs npm)")
    page = http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "GraphiQL" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unpkg" not in csp
    assert "https://" not in page.text and "http://" not in page.text
    for name in GRAPHIQL_ASSETS:
        assert http.get(f"/static/graphiql/{name}").status_code == 200
    assert not graphiql_enabled("off", STATIC / "graphiql")


def test_client_errors_are_one_debug_line_and_server_errors_stay_in_full(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from graphql import GraphQLError

    from api.graphql.schema import FabricSchema, build_schema

    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            client.post("/graphql", json={"query": "{ nosuchfield }"})
            client.post(
                "/graphql", json={"query": '{ blueprint(name: "x") { systems(limit: -1) { id } } }'}
            )
    client_lines = [r for r in caplog.records if "GraphQL client error" in r.getMessage()]
    assert len(client_lines) == 6 and all(r.levelno == logging.DEBUG for r in client_lines)
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in client_lines)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    schema = build_schema()
    assert isinstance(schema, FabricSchema)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        bug = GraphQLError("boom", original_error=KeyError("a bug of ours"))
        schema.process_errors([bug])
    assert [r.levelno for r in caplog.records] == [logging.ERROR]


def test_a_json_argument_with_an_integer_over_64_bits_is_a_client_error(
    http: httpx.Client, bp: str
) -> None:
    """Was a server error: the Bolt packer cannot carry the integer."""
    query = (
        f'mutation {{ setProperty(blueprint: "{bp}", baseVersion: 0, kind: "Interface", '
        'id: "spine1:swp1", key: "speed_mbps", value: 99999999999999999999999) '
        "{ stagedVersion } }"
    )
    body = gql(http, query, OPERATOR)
    assert body["data"] is None and "out of range" in str(body["errors"])
