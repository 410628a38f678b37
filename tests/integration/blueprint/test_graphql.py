"""GraphQL over the blueprint graph: reads batch per level, mutations need a role."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tests.integration.api_calls import ADMIN, OPERATOR, VIEWER, gql

pytestmark = pytest.mark.integration


@pytest.fixture
def lab(client: TestClient) -> Iterator[str]:
    name = f"t-gql-{uuid.uuid4().hex[:8]}"
    body = gql(
        client,
        'mutation($n: String!) { createBlueprint(name: $n, template: "lab") '
        "{ name leafs servers } }",
        OPERATOR,
        n=name,
    )
    assert body["data"]["createBlueprint"] == {"name": name, "leafs": 4, "servers": 4}
    yield name
    gql(client, "mutation($n: String!) { deleteBlueprint(name: $n) }", ADMIN, n=name)


NESTED = """
query($n: String!) { blueprint(name: $n) {
  systems(limit: 500) { id role interfaces { name ipv4 link { id subnet a b } } } } }
"""


def test_nested_read_costs_one_query_per_level_not_per_row(client: TestClient, lab: str) -> None:
    stats = client.app.state.graph.stats  # type: ignore[attr-defined]
    before = dict(stats.calls)
    body = gql(client, NESTED, n=lab)
    systems = body["data"]["blueprint"]["systems"]
    assert len(systems) == 10
    spine1 = next(s for s in systems if s["id"] == "spine1")
    assert {i["link"]["b"] for i in spine1["interfaces"] if i["link"]} == {
        "rack1-leaf1:swp1",
        "rack2-leaf1:swp1",
        "rack3-leaf1:swp1",
        "rack3-leaf2:swp1",
    }
    calls = {k: v - before.get(k, 0) for k, v in stats.calls.items() if v != before.get(k, 0)}
    assert calls == {
        "blueprint.summary": 1,
        "reads.shaped.systems": 1,  # the systems
        "reads.shaped.interfaces_of_systems": 1,  # their interfaces with their links
    }


def test_stage_commit_and_revision_through_mutations(client: TestClient, lab: str) -> None:
    staged = gql(
        client,
        """mutation($n: String!) { setDeployMode(blueprint: $n, baseVersion: 0,
                 system: "spine1", mode: "deploy") { stagedVersion } }""",
        OPERATOR,
        n=lab,
    )
    assert staged["data"]["setDeployMode"]["stagedVersion"] == 1
    diff = gql(
        client,
        "query($n: String!) { blueprint(name: $n) { stagedDiff "
        "{ change kind id field before after } buildErrors } }",
        n=lab,
    )
    assert diff["data"]["blueprint"] == {
        "stagedDiff": [
            {
                "change": "modified",
                "kind": "System",
                "id": "spine1",
                "field": "deploy_mode",
                "before": "not_set",
                "after": "deploy",
            }
        ],
        "buildErrors": [],
    }
    commit = gql(
        client,
        """mutation($n: String!) { commit(blueprint: $n, baseVersion: 1,
                 message: "deploy spine1") { number author message } }""",
        OPERATOR,
        n=lab,
    )
    assert commit["data"]["commit"] == {
        "number": 1,
        "author": "operator",
        "message": "deploy spine1",
    }


def test_a_viewer_may_read_but_not_stage_and_is_told_the_role_needed(
    client: TestClient, lab: str
) -> None:
    body = gql(
        client,
        """mutation($n: String!) { removeRack(blueprint: $n, baseVersion: 0,
               rack: "rack1") { stagedVersion } }""",
        VIEWER,
        n=lab,
    )
    error = body["errors"][0]
    assert error["extensions"]["code"] == "forbidden"
    assert "operator" in error["extensions"]["allowed"]


def test_a_stale_base_version_is_a_conflict_naming_the_current_version(
    client: TestClient, lab: str
) -> None:
    mutation = """mutation($n: String!, $v: Int!) { removeRack(blueprint: $n, baseVersion: $v,
                  rack: "rack1") { stagedVersion } }"""
    assert gql(client, mutation, OPERATOR, n=lab, v=0)["data"]["removeRack"]["stagedVersion"] == 1
    error = gql(client, mutation, OPERATOR, n=lab, v=0)["errors"][0]
    assert error["extensions"]["code"] == "conflict"
    assert "base_version=1" in error["extensions"]["allowed"]


def test_unknown_blueprint_and_malformed_query_get_clear_errors(client: TestClient) -> None:
    missing = gql(client, '{ blueprint(name: "nope-nope") { name } }')
    assert missing["errors"][0]["extensions"]["code"] == "not_found"
    malformed = client.post("/graphql", json={"query": "{ blueprint(name: "})
    assert malformed.status_code == 200 or malformed.status_code == 400
    assert "Syntax Error" in malformed.json()["errors"][0]["message"]
