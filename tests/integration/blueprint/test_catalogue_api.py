"""The design catalogue through REST and GraphQL: entries created, checked, listed, used.

A template made of entries created through the API builds a blueprint holding exactly
what its definition implies (``catalogue_examples``, counted by hand).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from blueprint_engine.blueprints import DEFAULT_CATALOGUE, Blueprints
from blueprint_engine.catalogue.store import STORED
from blueprint_engine.graph.db import Graph
from tests.integration.api_calls import ADMIN, OPERATOR, VIEWER, gql

from .catalogue_examples import implied_counts, small_fabric

pytestmark = pytest.mark.integration


def fixture_yaml(kind: str) -> tuple[str, list[dict[str, Any]]]:
    """The text and entries of a kind's fixture file, read independently of the engine."""
    path = Path(DEFAULT_CATALOGUE) / f"{kind}.yaml"
    text = path.read_text(encoding="utf-8")
    return text, yaml.safe_load(text)[kind]


def post(client: TestClient, kind: str, definition: Any, headers: dict[str, str] = OPERATOR) -> Any:
    return client.post(f"/api/catalogue/{kind}", json=definition, headers=headers)


@pytest.fixture
def suffix() -> str:
    return uuid.uuid4().hex[:8]


def test_a_blueprint_from_a_template_created_through_rest_has_what_it_implies(
    client: TestClient, graph: Graph, entry_names: list[str], suffix: str
) -> None:
    entries = small_fabric(suffix)
    for kind, definition in entries:
        response = post(client, kind, definition)
        assert response.status_code == 201, response.json()
        entry_names.append(definition["name"])
        created = response.json()
        assert (created["kind"], created["name"], created["source"]) == (
            kind,
            definition["name"],
            "created",
        )
        assert (created["created_by"], created["created_via"]) == ("operator", "rest")
    template = f"t-fabric-{suffix}"
    bp = f"t-cat-{suffix}"
    fields = "racks spines leafs servers linksCount bgpSessionsCount"
    body = gql(
        client,
        f"mutation($n: String!, $t: String!) {{ createBlueprint(name: $n, "
        f"template: $t) {{ {fields} }} }}",
        OPERATOR,
        n=bp,
        t=template,
    )
    try:
        assert body["data"]["createBlueprint"] == implied_counts(entries, template)
        links = gql(
            client, "query($n: String!) { blueprint(name: $n) { links(limit: 1000) { id } } }", n=bp
        )["data"]["blueprint"]["links"]
        assert len(links) == implied_counts(entries, template)["linksCount"]
        _stage_and_commit_a_created_rack_type(client, graph, bp, entries, template, suffix)
    finally:
        gql(client, "mutation($n: String!) { deleteBlueprint(name: $n) }", ADMIN, n=bp)


def _stage_and_commit_a_created_rack_type(
    client: TestClient, graph: Graph, bp: str, entries: list[Any], template: str, suffix: str
) -> None:
    """A created rack type can be staged; another process (a fresh engine) commits it."""
    staged = gql(
        client,
        "mutation($n: String!, $r: String!) { addRack(blueprint: $n, "
        "baseVersion: 0, rackType: $r) { stagedVersion } }",
        OPERATOR,
        n=bp,
        r=f"t-single-{suffix}",
    )
    assert staged["data"]["addRack"]["stagedVersion"] == 1
    counts = implied_counts(entries, template)
    views = gql(
        client,
        "query($n: String!) { a: blueprint(name: $n) { leafs } "
        "s: blueprint(name: $n, view: STAGED) { leafs } }",
        n=bp,
    )
    assert views["data"] == {"a": {"leafs": counts["leafs"]}, "s": {"leafs": counts["leafs"] + 1}}
    fresh = Blueprints(graph)  # its catalogue has never seen the created entries
    revision = fresh.commit(bp, base_version=1, author="alice", message="one more rack")
    new_leaf = f"rack{counts['racks'] + 1}-leaf1"
    assert new_leaf in revision.devices
    assert "spine1" in revision.devices  # the spines gain a port towards it
    assert fresh.config(bp, new_leaf, "rendered")  # rendered with the created profile


def test_an_invalid_entry_names_the_field_and_what_is_allowed_and_stores_nothing(
    client: TestClient, graph: Graph, suffix: str
) -> None:
    _, leafs = fixture_yaml("logical_devices")
    lab_leaf = next(d for d in leafs if d["name"] == "lab-leaf-8x10")
    server_ports = sum(g["count"] for g in lab_leaf["port_groups"] if "server" in g["roles"])
    rack: dict[str, Any] = {
        "name": f"t-bad-{suffix}",
        "leafs": "single",
        "leaf": {"logical_device": "lab-leaf-8x10", "device_profile": "frr-vswitch-8x10"},
        "servers": {"count": 1, "logical_device": "lab-server-2x10", "homing": "single"},
    }
    cases = [
        ({**rack, "leafs": "triple"}, "leafs", "'single' or 'pair'"),
        (
            {**rack, "leaf": {**rack["leaf"], "logical_device": "nope"}},
            "leaf.logical_device",
            "unknown logical device 'nope' (allowed: ",
        ),
        (
            {**rack, "servers": {**rack["servers"], "count": server_ports + 1}},
            "servers.count",
            f"needs {server_ports + 1} server-facing port(s) on lab-leaf-8x10 but it has "
            f"{server_ports} (allowed: at most {server_ports})",
        ),
        ({**rack, "colour": "blue"}, "colour", "unknown field (allowed fields: name, leafs"),
    ]
    before = graph.read(STORED)
    for definition, field, message in cases:
        response = post(client, "rack_types", definition)
        assert response.status_code == 400, definition
        error = response.json()["error"]
        assert error["code"] == "invalid_catalogue"
        assert [(p["field"], message in p["message"]) for p in error["problems"]] == [
            (field, True)
        ], error["problems"]
    assert client.get(f"/api/catalogue/rack_types/t-bad-{suffix}").status_code == 404
    assert graph.read(STORED) == before


def test_an_interface_map_onto_ports_of_another_speed_is_refused(
    client: TestClient, entry_names: list[str], suffix: str
) -> None:
    device: dict[str, Any] = {
        "name": f"t-fast-{suffix}",
        "port_groups": [{"count": 2, "speed_mbps": 25000, "roles": ["leaf"]}],
    }
    assert post(client, "logical_devices", device).status_code == 201
    entry_names.append(device["name"])
    imap = {
        "name": f"t-fast-map-{suffix}",
        "logical_device": device["name"],
        "device_profile": "frr-vswitch-8x10",
        "ports": [{"logical_first": 1, "physical_first": "swp1", "count": 2}],
    }
    response = post(client, "interface_maps", imap)
    assert response.status_code == 400
    (problem,) = response.json()["error"]["problems"]
    assert problem["field"] == "ports[0]"
    assert "logical port 1 needs 25000 Mb/s but swp1 runs at 10000 Mb/s" in problem["message"]


def test_duplicate_names_are_refused_whether_fixture_or_created(
    client: TestClient, entry_names: list[str], suffix: str
) -> None:
    device: dict[str, Any] = {
        "name": f"t-dup-{suffix}",
        "port_groups": [{"count": 4, "speed_mbps": 10000, "roles": ["leaf"]}],
    }
    assert post(client, "logical_devices", device).status_code == 201
    entry_names.append(device["name"])
    again = post(client, "logical_devices", device)
    assert again.status_code == 409 and "already exists" in again.json()["error"]["message"]
    builtin = post(client, "logical_devices", {**device, "name": "lab-leaf-8x10"})
    assert builtin.status_code == 409
    assert "logical_devices.yaml" in builtin.json()["error"]["message"]  # where it is defined


def test_creating_needs_an_operator_a_known_kind_and_a_json_object(client: TestClient) -> None:
    device = {
        "name": "t-never",
        "port_groups": [{"count": 1, "speed_mbps": 10000, "roles": ["leaf"]}],
    }
    anonymous = post(client, "logical_devices", device, headers={})
    viewer = post(client, "logical_devices", device, headers=VIEWER)
    assert anonymous.status_code == 401 and viewer.status_code == 403
    assert "operator" in viewer.json()["error"]["allowed"]
    unknown = post(client, "widgets", device)
    assert unknown.status_code == 404
    assert "rack_types" in unknown.json()["error"]["allowed"]
    listed = client.post("/api/catalogue/logical_devices", json=[device], headers=OPERATOR)
    assert listed.status_code == 400
    assert client.get("/api/catalogue/logical_devices/t-never").status_code == 404


def test_listing_shows_fixture_entries_with_their_file_line_and_created_ones(
    client: TestClient, entry_names: list[str], suffix: str
) -> None:
    device: dict[str, Any] = {
        "name": f"t-listed-{suffix}",
        "port_groups": [{"count": 4, "speed_mbps": 10000, "roles": ["leaf"]}],
    }
    assert post(client, "logical_devices", device).status_code == 201
    entry_names.append(device["name"])
    text, fixtures = fixture_yaml("logical_devices")
    listed = {row["name"]: row for row in client.get("/api/catalogue/logical_devices").json()}
    for entry in fixtures:
        line = next(n for n, t in enumerate(text.splitlines(), 1) if f"name: {entry['name']}" in t)
        row = listed[entry["name"]]
        assert row["source"] == "fixture"
        assert row["location"] == f"fixtures/catalogue/logical_devices.yaml:{line}"
        assert row["definition"]["port_groups"] == entry["port_groups"]
    mine = listed[device["name"]]
    assert (mine["source"], mine["created_by"], mine["definition"]) == (
        "created",
        "operator",
        device,
    )
    created_only = client.get("/api/catalogue/logical-devices?source=created").json()
    assert device["name"] in {row["name"] for row in created_only}
    assert not {entry["name"] for entry in fixtures} & {row["name"] for row in created_only}


CREATE_DEVICE = """
mutation($d: JSON!) { createLogicalDevice(definition: $d) {
  name source createdBy createdVia ports portGroups { count speedMbps roles } } }
"""


def test_graphql_creates_and_lists_entries_and_reports_problems_by_field(
    client: TestClient, entry_names: list[str], suffix: str
) -> None:
    device: dict[str, Any] = {
        "name": f"t-gql-{suffix}",
        "port_groups": [
            {"count": 4, "speed_mbps": 10000, "roles": ["leaf"]},
            {"count": 2, "speed_mbps": 10000, "roles": ["server"]},
        ],
    }
    refused = gql(client, CREATE_DEVICE, VIEWER, d=device)
    assert refused["errors"][0]["extensions"]["code"] == "forbidden"
    created = gql(client, CREATE_DEVICE, OPERATOR, d=device)["data"]["createLogicalDevice"]
    entry_names.append(device["name"])
    assert created == {
        "name": device["name"],
        "source": "CREATED",
        "createdBy": "operator",
        "createdVia": "graphql",
        "ports": 6,
        "portGroups": [
            {"count": 4, "speedMbps": 10000, "roles": ["leaf"]},
            {"count": 2, "speedMbps": 10000, "roles": ["server"]},
        ],
    }
    bad = gql(
        client,
        CREATE_DEVICE,
        OPERATOR,
        d={
            "name": f"t-gql-bad-{suffix}",
            "port_groups": [{"count": 0, "speed_mbps": 10000, "roles": ["leaf"]}],
        },
    )
    problems = bad["errors"][0]["extensions"]["problems"]
    assert [p["field"] for p in problems] == ["port_groups[0].count"]
    assert "greater than 0" in problems[0]["message"]
    listed = gql(
        client,
        "{ catalogue { logicalDevices { name source location } "
        "rackTypes(source: FIXTURE) { name leafs } } }",
    )["data"]["catalogue"]
    sources = {d["name"]: d["source"] for d in listed["logicalDevices"]}
    assert sources[device["name"]] == "CREATED" and f"t-gql-bad-{suffix}" not in sources
    _, fixtures = fixture_yaml("logical_devices")
    assert all(sources[d["name"]] == "FIXTURE" for d in fixtures)
    _, racks = fixture_yaml("rack_types")
    assert {(r["name"], r["leafs"]) for r in listed["rackTypes"]} == {
        (r["name"], r["leafs"]) for r in racks
    }


def test_the_openapi_document_describes_the_catalogue_routes(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/catalogue/{kind}"])
    assert "get" in paths["/api/catalogue"] and "get" in paths["/api/catalogue/{kind}/{name}"]
    put = paths["/api/blueprints/{bp}/pools/{pool}"]["put"]
    properties = put["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert properties["policy"]["enum"] == ["lowest_free", "sequential_from_last"]
