"""Neo4j through a routing URI (``neo4j://``, as for a cluster or Aura) against the local
server: the representative reads and writes (build, stage, commit, GraphQL reads) work,
reads run in READ sessions (which the server refuses to write in) and writes in WRITE
sessions."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import neo4j
import pytest
from starlette.testclient import TestClient

from api.app import create_app
from blueprint_engine.errors import FabricError
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from tests.integration.api_calls import ADMIN, OPERATOR, gql

pytestmark = pytest.mark.integration

READS = """query($n: String!) { blueprint(name: $n) { leafs
  systems(role: "spine") { id asn interfaces { name link { id } } }
  revisions { number message } } }"""


@pytest.fixture(scope="module")
def routed(settings: Settings) -> Settings:
    bolt = urlsplit(settings.neo4j_uri)
    return settings.model_copy(update={"neo4j_uri": f"neo4j://{bolt.hostname}:{bolt.port}"})


@pytest.fixture(scope="module")
def routed_client(routed: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(routed)) as c:
        yield c


def _sessions(client: TestClient) -> dict[str, int]:
    return dict(client.app.state.graph.stats.sessions)  # type: ignore[attr-defined]


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def test_the_api_builds_stages_commits_and_reads_through_a_routing_uri(
    routed_client: TestClient,
) -> None:
    graph: Graph = routed_client.app.state.graph  # type: ignore[attr-defined]
    assert graph.settings.neo4j_uri.startswith("neo4j://")
    assert isinstance(graph._driver, neo4j.Neo4jDriver)  # the routing driver, not bolt's
    name = f"t-route-{uuid.uuid4().hex[:8]}"
    made = gql(
        routed_client,
        'mutation($n: String!) { createBlueprint(name: $n, template: "lab") { leafs } }',
        OPERATOR,
        n=name,
    )
    assert made["data"]["createBlueprint"] == {"leafs": 4}
    try:
        before = _sessions(routed_client)
        staged = gql(
            routed_client,
            """mutation($n: String!) { setDeployMode(blueprint: $n,
                     baseVersion: 0, system: "spine1", mode: "deploy") { stagedVersion } }""",
            OPERATOR,
            n=name,
        )
        assert staged["data"]["setDeployMode"] == {"stagedVersion": 1}
        commit = 'mutation($n: String!) { commit(blueprint: $n, baseVersion: 1, message: "routed") '
        committed = gql(routed_client, commit + "{ number } }", OPERATOR, n=name)
        assert committed["data"]["commit"] == {"number": 1}
        assert _delta(before, _sessions(routed_client)).get("WRITE", 0) >= 2

        before = _sessions(routed_client)
        body = gql(routed_client, READS, n=name)
        assert "errors" not in body, body
        bp = body["data"]["blueprint"]
        assert bp["leafs"] == 4
        assert [s["id"] for s in bp["systems"]] == ["spine1", "spine2"]
        # every port is modelled; each spine has one cabled port per leaf
        assert all(sum(1 for i in s["interfaces"] if i["link"]) == 4 for s in bp["systems"])
        assert {"number": 1, "message": "routed"} in bp["revisions"]
        used = _delta(before, _sessions(routed_client))
        assert used.get("READ", 0) > 0 and "WRITE" not in used, used
    finally:
        gql(routed_client, "mutation($n: String!) { deleteBlueprint(name: $n) }", ADMIN, n=name)


def test_a_read_through_the_routing_uri_is_refused_a_write(routed: Settings) -> None:
    graph = Graph(routed)
    probe = Query("test.routing_probe", "MATCH (n:RoutingProbe) RETURN count(n) AS n")
    try:
        with pytest.raises(FabricError) as refused:
            graph.read(Query("test.routing_write", "CREATE (:RoutingProbe) RETURN 1 AS one"))
        assert "AccessMode" in refused.value.message or "read" in refused.value.message.lower()
        assert graph.read(probe) == [{"n": 0}]
    finally:
        graph.close()


def test_a_write_is_seen_by_the_next_read_of_the_same_process(routed: Settings) -> None:
    graph = Graph(routed)
    key = uuid.uuid4().hex
    try:
        for n in range(5):
            graph.write(
                Query("test.routing_bump", "MERGE (p:RoutingProbe2 {key: $key}) SET p.n = $n"),
                key=key,
                n=n,
            )
            rows = graph.read(
                Query("test.routing_read", "MATCH (p:RoutingProbe2 {key: $key}) RETURN p.n AS n"),
                key=key,
            )
            assert rows == [{"n": n}]
    finally:
        graph.write(
            Query("test.routing_drop", "MATCH (p:RoutingProbe2 {key: $key}) DELETE p"), key=key
        )
        graph.close()
