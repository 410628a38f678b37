"""The public entry point of staging: only operator kinds, every value with a grammar.

The `lab` blueprint (spine1, spine2; rack1-leaf1, rack2-leaf1, rack3-leaf1/2).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.errors import BuildError, ValidationError
from blueprint_engine.graph.db import Graph, Query
from tests.integration.api_calls import OPERATOR, gql

pytestmark = pytest.mark.integration

COUNTS = Query(
    "test.entry_counts",
    "MATCH (n {blueprint: $bp}) RETURN labels(n)[0] AS label, count(*) AS n ORDER BY label",
)
PUBLIC = "add_rack, add_pod, add_virtual_network, remove_rack"


def snapshot(graph: Graph, bp: str) -> dict[str, int]:
    return {r["label"]: r["n"] for r in graph.read(COUNTS, bp=bp)}


@pytest.mark.parametrize(
    "edit",
    [
        {"kind": "restore", "params": {"captured": {"nodes": [], "rels": []}}},
        {"kind": "delete_nodes", "params": {"nodes": [{"label": "Rack", "value": "x/rack1"}]}},
        {"kind": "apply_edits", "params": {"edits": []}},
    ],
)
def test_the_engine_s_internal_kinds_are_refused_at_the_public_entry_point(
    make_blueprint: Any, blueprints: Blueprints, graph: Graph, edit: dict[str, Any]
) -> None:
    bp = make_blueprint("lab")
    before = snapshot(graph, bp)
    with pytest.raises(ValidationError) as err:
        blueprints.staging.stage(bp, edit, base_version=0, author="mallory")
    assert f"edit kind {edit['kind']!r} is internal" in err.value.message
    assert err.value.allowed.startswith(PUBLIC)
    assert snapshot(graph, bp) == before


def test_the_cli_refuses_an_internal_kind_naming_the_allowed_ones(
    make_blueprint: Any, graph: Graph
) -> None:
    bp = make_blueprint("lab")
    before = snapshot(graph, bp)
    params = '{"nodes": [{"label": "Rack", "value": "' + bp + '/rack1"}]}'
    result = CliRunner().invoke(
        app, ["blueprint", "stage", bp, "delete_nodes", params], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 1
    assert "edit kind 'delete_nodes' is internal to the engine" in result.output
    assert "set_deploy_mode" in result.output
    assert snapshot(graph, bp) == before


ATTACK = "x\nrouter bgp 666\n neighbor 6.6.6.6 remote-as 666\n!\nline vty\n no login"
SET_PROPERTY = """mutation($n: String!, $v: Int!, $kind: String!, $id: String!, $key: String!,
                           $value: JSON!) {
  setProperty(blueprint: $n, baseVersion: $v, kind: $kind, id: $id, key: $key, value: $value)
  { stagedVersion } }"""
# what staging would write for an edit it had accepted: a log entry bypassing the checks
FORGED_CHANGE = Query(
    "test.forged_change",
    """
    MATCH (b:Blueprint {name: $bp}) SET b.staged_version = 1
    CREATE (b)-[:HAS_CHANGE]->(:StagedChange {uid: $bp + '/1', blueprint: $bp, seq: 1,
        kind: 'set_property', params: $params, author: 'mallory', base_version: 0,
        at: datetime()})
    """,
)
CONFIGS = Query(
    "test.entry_configs",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(:System)-[:HAS_CONFIG]->(c:Config)
    RETURN c.text AS text
    """,
)


def test_the_hostname_injection_of_issue_11_is_refused_when_staged(
    client: TestClient, make_blueprint: Any, graph: Graph
) -> None:
    bp = make_blueprint("lab")
    before = snapshot(graph, bp)
    body = gql(
        client,
        SET_PROPERTY,
        OPERATOR,
        n=bp,
        v=0,
        kind="System",
        id="rack1-leaf1",
        key="hostname",
        value=ATTACK,
    )
    error = body["errors"][0]["extensions"]
    assert error["code"] == "invalid_input"
    assert error["message"].startswith("System rack1-leaf1: hostname 'x\\nrouter bgp 666")
    assert "\n" not in error["message"]  # escaped: the value cannot forge lines
    assert "RFC 1123" in error["allowed"]
    assert snapshot(graph, bp) == before
    ok = gql(
        client,
        SET_PROPERTY,
        OPERATOR,
        n=bp,
        v=0,
        kind="System",
        id="rack1-leaf1",
        key="hostname",
        value="leaf-01.dc1",
    )
    assert ok["data"]["setProperty"]["stagedVersion"] == 1


@pytest.mark.parametrize(
    ("kind", "ident", "key", "value", "says"),
    [
        ("System", "spine1", "hostname", "a" * 64, "at most 63 characters"),
        ("System", "spine1", "hostname", "-spine", "RFC 1123"),
        ("System", "spine1", "hostname", 7, "RFC 1123"),
        ("Interface", "spine1:swp1", "speed_mbps", -5, "one of 100, 1000"),
        ("Interface", "spine1:swp1", "speed_mbps", "fast", "one of 100, 1000"),
        ("Link", "spine1:swp1--rack1-leaf1:swp1", "speed_mbps", 10_001, "one of 100, 1000"),
    ],
)
def test_values_outside_their_grammar_are_refused_at_stage_time(
    make_blueprint: Any,
    blueprints: Blueprints,
    graph: Graph,
    kind: str,
    ident: str,
    key: str,
    value: Any,
    says: str,
) -> None:
    bp = make_blueprint("lab")
    before = snapshot(graph, bp)
    edit = {
        "kind": "set_property",
        "params": {"kind": kind, "id": ident, "key": key, "value": value},
    }
    with pytest.raises(ValidationError) as err:
        blueprints.staging.stage(bp, edit, base_version=0, author="alice")
    assert f"{kind} {ident}: {key}" in err.value.message and says in err.value.allowed
    assert snapshot(graph, bp) == before


def test_an_injected_value_that_bypassed_staging_is_a_build_error_and_never_rendered(
    make_blueprint: Any, blueprints: Blueprints, graph: Graph
) -> None:
    bp = make_blueprint("lab")
    params = {"kind": "System", "id": "rack1-leaf1", "key": "hostname", "value": ATTACK}
    graph.write(FORGED_CHANGE, bp=bp, params=json.dumps(params))
    before = snapshot(graph, bp)
    problems = blueprints.staging.build_errors(bp)
    assert any(p.startswith("System rack1-leaf1: hostname 'x\\nrouter bgp") for p in problems)
    with pytest.raises(BuildError) as err:
        blueprints.commit(bp, base_version=1, author="mallory", message="inject")
    assert any("RFC 1123" in p for p in err.value.problems)
    assert snapshot(graph, bp) == before
    assert blueprints.summary(bp)["active_revision"] == 0
    assert not any("router bgp 666" in r["text"] for r in graph.read(CONFIGS, bp=bp))


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"name": "lonely"}, "virtual network lonely is bound to no rack"),
        ({"name": "nobody", "rack_types": ["leaf-pair-8-dual"]}, "no rack is of type"),
        ({"name": "many", "racks": [f"rack{n}" for n in range(1, 1100)]}, "at most 1024"),
        ({"name": "evil\nvlan 1", "racks": ["rack3"]}, "name: String should match pattern"),
    ],
)
def test_a_virtual_network_needs_a_rack_and_bounded_names(
    make_blueprint: Any, blueprints: Blueprints, graph: Graph, params: dict[str, Any], says: str
) -> None:
    bp = make_blueprint("lab-evpn")
    before = snapshot(graph, bp)
    edit = {"kind": "add_virtual_network", "params": params}
    with pytest.raises(ValidationError) as err:
        blueprints.staging.stage(bp, edit, base_version=0, author="alice")
    assert says in str(err.value)
    assert snapshot(graph, bp) == before


ROLLBACK = """mutation($n: String!, $v: Int!, $to: Int!) {
  rollback(blueprint: $n, baseVersion: $v, toRevision: $to) { stagedVersion } }"""


def test_a_rollback_to_a_revision_that_does_not_exist_names_the_existing_range(
    client: TestClient, make_blueprint: Any, blueprints: Blueprints, graph: Graph
) -> None:
    bp = make_blueprint("lab")
    error = gql(client, ROLLBACK, OPERATOR, n=bp, v=0, to=-1)["errors"][0]["extensions"]
    assert error["code"] == "invalid_input"
    assert error["message"] == (
        f"blueprint {bp!r} has no revision -1: its revisions are 0..0 "
        "(0 is the blueprint as built from its template)"
    )
    assert "no revision but 0" in error["allowed"]
    edit = {"kind": "set_deploy_mode", "params": {"system": "spine1", "mode": "ready"}}
    version = blueprints.staging.stage(bp, edit, base_version=0, author="t")
    blueprints.commit(bp, base_version=version, author="t", message="one")
    before = snapshot(graph, bp)
    for target in (-1, 2, 2**31 - 1):
        error = gql(client, ROLLBACK, OPERATOR, n=bp, v=2, to=target)["errors"][0]["extensions"]
        assert f"has no revision {target}: its revisions are 0..1" in error["message"]
        assert error["allowed"] == "a revision number from 0 to 0"
    error = gql(client, ROLLBACK, OPERATOR, n=bp, v=2, to=1)["errors"][0]["extensions"]
    assert "revision 1 is already the active revision" in error["message"]
    assert snapshot(graph, bp) == before
    assert gql(client, ROLLBACK, OPERATOR, n=bp, v=2, to=0)["data"]["rollback"] == {
        "stagedVersion": 3
    }


INJECT_ACTIVE = Query(
    "test.inject_active_hostname",
    "MATCH (s:System {uid: $bp + '/' + $id}) SET s.hostname = $hostname",
)


def test_an_injected_hostname_already_in_active_intent_never_renders(
    make_blueprint: Any, blueprints: Blueprints, graph: Graph
) -> None:
    """As if committed before the grammars existed: the renderers' input is refused."""
    bp = make_blueprint("lab")
    graph.write(INJECT_ACTIVE, bp=bp, id="rack1-server1", hostname=ATTACK)
    with pytest.raises(ValidationError) as err:
        blueprints.configs.render(bp, ["rack1-leaf1"])  # its server port's description
    assert "hostname 'x\\nrouter bgp 666" in err.value.message
    assert "spine1" in blueprints.configs.render(bp, ["spine1"])  # other switches render
    assert any("rack1-server1: hostname" in p for p in blueprints.staging.build_errors(bp))
