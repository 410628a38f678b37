"""The public entry point of staging: only operator kinds, every value with a grammar.

The `lab` blueprint (spine1, spine2; rack1-leaf1, rack2-leaf1, rack3-leaf1/2).
"""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.db import Graph, Query
from blueprint_engine.errors import ValidationError

pytestmark = pytest.mark.integration

COUNTS = Query(
    "test.entry_counts",
    "MATCH (n {blueprint: $bp}) RETURN labels(n)[0] AS label, count(*) AS n ORDER BY label",
)
PUBLIC = "add_rack, add_virtual_network, remove_rack"


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
