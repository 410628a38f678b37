"""Deleting catalogue entries: only created ones that no entry and no blueprint uses.

The entries are the small fabric of ``catalogue_examples`` (two spine/leaf/server
logical devices on one profile, their interface maps, two rack types, a template).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.catalogue.store import STORED
from blueprint_engine.errors import NotFoundError
from blueprint_engine.graph.db import Graph
from tests.integration.api_calls import ADMIN, OPERATOR, VIEWER, gql

from .catalogue_examples import small_fabric

pytestmark = pytest.mark.integration


@pytest.fixture
def fabric(client: TestClient, entry_names: list[str]) -> dict[str, str]:
    """The small fabric created through REST: {kind or role: name}."""
    suffix = uuid.uuid4().hex[:8]
    for kind, definition in small_fabric(suffix):
        response = client.post(f"/api/catalogue/{kind}", json=definition, headers=OPERATOR)
        assert response.status_code == 201, response.json()
        entry_names.append(definition["name"])
    return {
        "spine": f"t-spine-{suffix}",
        "server": f"t-server-{suffix}",
        "spine_map": f"t-spine-{suffix}-map",
        "single": f"t-single-{suffix}",
        "pair": f"t-pair-{suffix}",
        "template": f"t-fabric-{suffix}",
    }


def stored_names(graph: Graph) -> set[str]:
    return {r["name"] for r in graph.read(STORED)}


def delete(client: TestClient, kind: str, name: str, headers: dict[str, str] = OPERATOR) -> Any:
    return client.delete(f"/api/catalogue/{kind}/{name}", headers=headers)


def test_an_entry_used_by_other_entries_is_refused_naming_them_then_deleted_in_order(
    client: TestClient, graph: Graph, fabric: dict[str, str]
) -> None:
    refused = delete(client, "logical_devices", fabric["spine"])
    assert refused.status_code == 409
    message = refused.json()["error"]["message"]
    assert message == (
        f"logical_devices {fabric['spine']!r} is in use by interface_maps "
        f"{fabric['spine_map']}, templates {fabric['template']}"
    )
    assert fabric["spine"] in stored_names(graph)
    assert delete(client, "rack_types", fabric["single"]).status_code == 409  # the template
    deleted = delete(client, "templates", fabric["template"])
    assert deleted.status_code == 200
    assert (deleted.json()["name"], deleted.json()["source"]) == (fabric["template"], "created")
    assert client.get(f"/api/catalogue/templates/{fabric['template']}").status_code == 404
    assert delete(client, "rack_types", fabric["single"]).status_code == 200
    assert delete(client, "templates", fabric["template"]).status_code == 404  # gone already
    assert {fabric["template"], fabric["single"]}.isdisjoint(stored_names(graph))


def test_an_entry_a_blueprint_uses_is_refused_naming_the_blueprint(
    client: TestClient, graph: Graph, fabric: dict[str, str]
) -> None:
    bp = f"t-del-{uuid.uuid4().hex[:8]}"
    created = gql(
        client,
        "mutation($n: String!, $t: String!) { createBlueprint(name: $n, template: $t) { racks } }",
        OPERATOR,
        n=bp,
        t=fabric["template"],
    )
    assert created["data"]["createBlueprint"]["racks"] == 3, created
    try:
        used = delete(client, "templates", fabric["template"])
        assert used.status_code == 409
        assert f"blueprint {bp} (its template)" in used.json()["error"]["message"]
        server = delete(client, "logical_devices", fabric["server"])
        assert "rack_types" in server.json()["error"]["message"]
    finally:
        gql(client, "mutation($n: String!) { deleteBlueprint(name: $n) }", ADMIN, n=bp)
    assert delete(client, "templates", fabric["template"]).status_code == 200


def test_a_rack_type_with_a_staged_add_rack_or_racks_in_a_blueprint_stays(
    client: TestClient, graph: Graph, make_blueprint: Any, fabric: dict[str, str]
) -> None:
    assert delete(client, "templates", fabric["template"]).status_code == 200
    bp = make_blueprint("lab")  # lab-like spines: 10G ports, like the created leafs'
    blueprints = Blueprints(graph)
    edit = {"kind": "add_rack", "params": {"rack_type": fabric["single"]}}
    version = blueprints.staging.stage(bp, edit, base_version=0, author="t")
    staged = delete(client, "rack_types", fabric["single"]).json()["error"]["message"]
    assert f"blueprint {bp} (1 staged add_rack edits)" in staged
    blueprints.commit(bp, base_version=version, author="t", message="created rack")
    racks = delete(client, "rack_types", fabric["single"]).json()["error"]["message"]
    assert f"blueprint {bp} (1 racks)" in racks
    assert fabric["single"] in stored_names(graph)


def test_fixture_entries_cannot_be_deleted_and_deleting_needs_an_operator(
    client: TestClient, fabric: dict[str, str]
) -> None:
    fixture = delete(client, "rack_types", "lab-leaf-pair")
    assert fixture.status_code == 409
    assert "is built in (fixtures/catalogue/rack_types.yaml:" in fixture.json()["error"]["message"]
    assert delete(client, "templates", fabric["template"], VIEWER).status_code == 403
    unknown = delete(client, "templates", "no-such-template")
    assert unknown.status_code == 404 and fabric["template"] in unknown.json()["error"]["allowed"]
    assert delete(client, "gadgets", "x").status_code == 404


def test_graphql_and_the_cli_delete_unused_entries(
    client: TestClient, graph: Graph, fabric: dict[str, str]
) -> None:
    mutation = """mutation($k: String!, $n: String!) {
      deleteCatalogueEntry(kind: $k, name: $n) { kind name definition } }"""
    body = gql(client, mutation, OPERATOR, k="templates", n=fabric["template"])
    assert body["data"]["deleteCatalogueEntry"]["name"] == fabric["template"]
    again = gql(client, mutation, OPERATOR, k="templates", n=fabric["template"])
    assert again["errors"][0]["extensions"]["code"] == "not_found"
    result = CliRunner().invoke(
        app, ["catalogue", "delete", "rack-types", fabric["pair"]], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert f"deleted rack_types {fabric['pair']}" in result.output
    refused = CliRunner().invoke(app, ["catalogue", "delete", "rack_types", "lab-leaf-pair"])
    assert refused.exit_code == 1 and "cannot be deleted" in refused.output
    assert {fabric["template"], fabric["pair"]}.isdisjoint(stored_names(graph))


def test_a_process_still_caching_a_deleted_rack_type_cannot_stage_it(
    client: TestClient, graph: Graph, make_blueprint: Any, fabric: dict[str, str]
) -> None:
    bp = make_blueprint("lab")
    stale = Blueprints(graph)
    stale.catalogues.refresh()  # this process has read the created rack type
    assert fabric["single"] in stale.catalogue.rack_types
    assert delete(client, "templates", fabric["template"]).status_code == 200
    assert delete(client, "rack_types", fabric["single"]).status_code == 200
    edit = {"kind": "add_rack", "params": {"rack_type": fabric["single"]}}
    with pytest.raises(NotFoundError) as err:
        stale.staging.stage(bp, edit, base_version=0, author="t")
    assert f"rack_types {fabric['single']!r} was deleted from the catalogue" in err.value.message
    assert stale.staging.changes(bp) == []
    assert fabric["single"] not in stale.catalogue.rack_types  # the cache caught up


def test_the_openapi_document_describes_the_delete_route(client: TestClient) -> None:
    route = client.get("/api/openapi.json").json()["paths"]["/api/catalogue/{kind}/{name}"]
    assert {"get", "delete"} <= set(route)
    assert {p["name"] for p in route["delete"]["parameters"]} == {"kind", "name"}
