"""The platform: real Neo4j over Bolt, Redis, a real Celery worker, the API."""

from __future__ import annotations

import uuid

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from blueprint_engine.errors import ConflictError
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.graph.migrate import applied_migrations, migrate
from blueprint_engine.settings import Settings
from graph_schema import GRAPH_VERSION

pytestmark = pytest.mark.integration

COUNT_SCHEMA = Query(
    "test.schema_objects",
    "SHOW CONSTRAINTS YIELD name RETURN count(*) AS n",
)
CREATE_BLUEPRINT = Query("test.create_blueprint", "CREATE (:Blueprint {name: $name})")
DELETE_BLUEPRINT = Query(
    "test.delete_blueprint", "MATCH (b:Blueprint {name: $name}) DETACH DELETE b"
)


def test_migrations_are_recorded_and_applying_them_again_changes_nothing(graph: Graph) -> None:
    migrate(graph)
    before = graph.read(COUNT_SCHEMA)[0]["n"]
    assert migrate(graph) == []
    assert graph.read(COUNT_SCHEMA)[0]["n"] == before
    assert applied_migrations(graph) == list(range(1, GRAPH_VERSION + 1))


def test_uniqueness_constraint_refuses_a_duplicate_blueprint_name(graph: Graph) -> None:
    name = f"test-dup-{uuid.uuid4().hex[:8]}"
    graph.write(CREATE_BLUEPRINT, name=name)
    try:
        with pytest.raises(ConflictError, match="duplicate"):
            graph.write(CREATE_BLUEPRINT, name=name)
    finally:
        graph.write(DELETE_BLUEPRINT, name=name)


def test_a_task_round_trips_through_redis_to_a_real_celery_worker() -> None:
    from workers.tasks import graph_version, ping

    token = uuid.uuid4().hex
    reply = ping.delay(token).get(timeout=20)
    assert reply["echo"] == token
    assert graph_version.delay().get(timeout=20) == GRAPH_VERSION


def test_health_reports_neo4j_redis_and_workers_up(client: TestClient) -> None:
    body = client.get("/health").json()
    assert {c["name"]: c["up"] for c in body["checks"]} == {
        "neo4j": True,
        "redis": True,
        "workers": True,
    }


def test_graphql_answers_an_introspection_query(client: TestClient) -> None:
    body = client.post("/graphql", json={"query": "{ __schema { queryType { name } } }"}).json()
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


def test_cypher_endpoint_reads_but_the_server_refuses_writes(
    client: TestClient, graph: Graph
) -> None:
    viewer = {"Authorization": "Bearer dev-viewer"}  # the endpoint needs a token
    ok = client.post("/api/cypher", json={"query": "RETURN 1 + 1 AS two"}, headers=viewer).json()
    assert ok == {"columns": ["two"], "rows": [[2]], "truncated": False}
    refused = client.post(
        "/api/cypher", json={"query": "CREATE (n:Intruder) RETURN n"}, headers=viewer
    )
    assert refused.status_code == 400
    assert "read-only" in refused.json()["error"]["message"]
    assert (
        graph.read(Query("test.intruders", "MATCH (n:Intruder) RETURN count(n) AS n"))[0]["n"] == 0
    )


def test_malformed_json_and_oversized_bodies_get_clear_errors(client: TestClient) -> None:
    headers = {"Authorization": "Bearer dev-viewer", "Content-Type": "application/json"}
    bad = client.post("/api/cypher", content=b"{not json", headers=headers)
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]["message"]
    huge = client.post("/api/cypher", content=b"x" * 2_000_000)
    assert huge.status_code == 413 and "too large" in huge.json()["error"]["message"]


def test_health_names_the_service_that_is_down(settings: Settings) -> None:
    broken = settings.model_copy(
        update={"neo4j_uri": "bolt://127.0.0.1:1", "redis_url": "redis://127.0.0.1:1/0"}
    )
    with TestClient(create_app(broken)) as client:
        response = client.get("/health")
    assert response.status_code == 503
    checks = {c["name"]: c for c in response.json()["checks"]}
    assert not checks["neo4j"]["up"] and "unreachable" in checks["neo4j"]["detail"]
    assert not checks["redis"]["up"] and "127.0.0.1:1" in checks["redis"]["detail"]
