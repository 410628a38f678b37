"""Configlets, property sets and tags through REST, GraphQL and the CLI.

Fabric ``lab``: spine1, spine2; rack1-leaf1, rack2-leaf1, rack3-leaf1, rack3-leaf2.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app
from tests.integration.api_calls import OPERATOR, VIEWER, gql

pytestmark = pytest.mark.integration


def definition(name: str, template: str = "log facility {{ facility }}") -> dict[str, Any]:
    return {
        "name": name,
        "generators": {
            "linux_frr": {"template": template},
            "junos": {
                "template": "set system ntp server {{ ntp }}",
                "negation": "delete system ntp server {{ ntp }}",
            },
        },
        "scope": {"roles": ["leaf"]},
    }


@pytest.fixture
def name(entry_names: list[str]) -> str:
    made = f"t-cfg-{uuid.uuid4().hex[:8]}"
    entry_names.append(made)
    return made


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"name": "Bad Name"}, "name"),
        ({"generators": {"linux_frr": {"template": "x", "section": "bgp"}}}, "section 'bgp'"),
        ({"generators": {"eos": {"template": "{% if %}"}}}, "not a valid template: line 1"),
        ({"generators": {"linux_frr": {"template": "x" * 20_000}}}, "at most 16384"),
        ({"generators": {"linux_frr": {"template": "x", "negation": "y"}}}, "negation"),
        ({"generators": {"vyos": {"template": "x"}}}, "generators.vyos"),
        ({"scope": {"roles": ["router"]}}, "scope.roles"),
        ({"generators": {}}, "generators"),
    ],
)
def test_rest_refuses_a_bad_configlet_naming_the_field(
    client: TestClient, name: str, change: dict[str, Any], problem: str
) -> None:
    body = {**definition(name), **change}
    response = client.post("/api/catalogue/configlets", json=body, headers=OPERATOR)
    assert response.status_code == 400, response.json()
    assert problem in str(response.json())
    assert client.get(f"/api/catalogue/configlets/{body['name']}").status_code == 404


def test_rest_creates_lists_and_deletes_a_configlet(client: TestClient, name: str) -> None:
    response = client.post("/api/catalogue/configlets", json=definition(name), headers=OPERATOR)
    assert response.status_code == 201, response.json()
    listed = client.get("/api/catalogue/configlets").json()
    mine = [e for e in listed if e["name"] == name]
    assert mine and mine[0]["definition"]["scope"]["roles"] == ["leaf"]
    assert client.delete(f"/api/catalogue/configlets/{name}", headers=VIEWER).status_code == 403
    assert client.delete(f"/api/catalogue/configlets/{name}", headers=OPERATOR).status_code == 200
    assert client.get(f"/api/catalogue/configlets/{name}").status_code == 404


STAGED = """
query($bp: String!) { blueprint(name: $bp, view: STAGED) {
  stagedVersion propertySet configlets { id configlet scope }
  stagedDiff { change kind id field after } buildErrors
  incrementalConfigs { system text rollback }
  systems(tag: "edge") { id tags propertySet interfaces(first: 1) { name tags }
    tagged: interfaces(tag: "edge-port") { name } }
  links(tag: "uplink") { id tags } } }
"""


def _stage(client: TestClient, mutation: str, **variables: Any) -> int:
    body = gql(client, mutation, OPERATOR, **variables)
    assert "errors" not in body, body
    result: dict[str, Any] = next(iter(body["data"].values()))
    return int(result["stagedVersion"])


def test_graphql_attaches_a_configlet_with_properties_and_tags_and_commits_it(
    client: TestClient, name: str, make_blueprint: Callable[[str], str]
) -> None:
    created = gql(
        client,
        "mutation($d: JSON!) { createConfiglet(definition: $d) { name generators { nos "
        "section negation } scope } }",
        OPERATOR,
        d=definition(name),
    )
    assert "errors" not in created, created
    generators = created["data"]["createConfiglet"]["generators"]
    assert [(g["nos"], g["section"]) for g in generators] == [
        ("junos", "system"),
        ("linux_frr", "frr"),
    ]
    bp = make_blueprint("lab")
    version = _stage(
        client,
        "mutation($bp: String!, $c: String!) { attachConfiglet(blueprint: $bp, baseVersion: 0, "
        'configlet: $c, scope: {systems: ["rack1-leaf1", "rack2-leaf1"]}) { stagedVersion } }',
        bp=bp,
        c=name,
    )
    version = _stage(
        client,
        "mutation($bp: String!, $v: Int!) { setPropertySet(blueprint: $bp, baseVersion: $v, "
        'values: {facility: "local3"}) { stagedVersion } }',
        bp=bp,
        v=version,
    )
    for kind, ident, tag in (
        ("System", "rack2-leaf1", "edge"),
        ("Link", "spine1:swp1--rack1-leaf1:swp1", "uplink"),
        ("Interface", "rack2-leaf1:swp1", "edge-port"),
    ):
        version = _stage(
            client,
            "mutation($bp: String!, $v: Int!, $k: String!, $i: String!, $t: String!) { "
            "setTags(blueprint: $bp, baseVersion: $v, kind: $k, id: $i, tags: [$t]) "
            "{ stagedVersion } }",
            bp=bp,
            v=version,
            k=kind,
            i=ident,
            t=tag,
        )
    staged = gql(client, STAGED, bp=bp)
    assert "errors" not in staged, staged
    view = staged["data"]["blueprint"]
    assert view["propertySet"] == {"facility": "local3"}
    assert view["configlets"] == [
        {"id": name, "configlet": name, "scope": {**_empty_scope(), "systems": _two()}}
    ]
    assert {"change": "added", "kind": "Configlet", "id": name, "field": None, "after": None} in (
        view["stagedDiff"]
    )
    assert view["buildErrors"] == []
    changed = {c["system"]: c["text"] for c in view["incrementalConfigs"] if c["text"]}
    assert sorted(changed) == _two()
    assert all("+log facility local3" in text.splitlines() for text in changed.values())
    undone = {c["system"]: c["rollback"] for c in view["incrementalConfigs"] if c["text"]}
    assert all("-log facility local3" in text.splitlines() for text in undone.values())
    assert [s["id"] for s in view["systems"]] == ["rack2-leaf1"]
    assert view["systems"][0]["tags"] == ["edge"]
    assert view["systems"][0]["interfaces"] == [{"name": "swp1", "tags": ["edge-port"]}]
    assert view["systems"][0]["tagged"] == [{"name": "swp1"}]
    assert view["links"] == [{"id": "spine1:swp1--rack1-leaf1:swp1", "tags": ["uplink"]}]
    # active is untouched until the commit
    active = gql(
        client,
        "query($bp: String!) { blueprint(name: $bp) { configlets { id } propertySet } }",
        bp=bp,
    )
    assert active["data"]["blueprint"] == {"configlets": [], "propertySet": {}}
    committed = gql(
        client,
        "mutation($bp: String!, $v: Int!) { commit(blueprint: $bp, baseVersion: $v, "
        'message: "logging") { number diff { kind id } } }',
        OPERATOR,
        bp=bp,
        v=version,
    )
    assert committed["data"]["commit"]["number"] == 1, committed


def _two() -> list[str]:
    return ["rack1-leaf1", "rack2-leaf1"]


def _empty_scope() -> dict[str, list[str]]:
    return {"roles": [], "device_profiles": [], "racks": [], "systems": [], "tags": []}


def test_the_cli_creates_lists_and_deletes_configlets(tmp_path: Path, name: str) -> None:
    file = tmp_path / "configlets.yaml"
    file.write_text(
        "configlets:\n"
        f"  - name: {name}\n"
        "    generators:\n"
        "      linux_frr: {template: 'log facility {{ facility }}'}\n"
        "    scope: {roles: [leaf]}\n"
    )
    runner = CliRunner()
    created = runner.invoke(app, ["catalogue", "create", "configlets", str(file)])
    assert created.exit_code == 0, created.output
    assert f"created configlets {name}" in created.output
    assert "scope roles=leaf" in created.output
    listed = runner.invoke(app, ["catalogue", "list", "configlets"], env={"COLUMNS": "200"})
    assert name in listed.output
    deleted = runner.invoke(app, ["catalogue", "delete", "configlets", name])
    assert deleted.exit_code == 0, deleted.output
