"""Stored configs name the revision that produced them."""

from __future__ import annotations

from typing import Any

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Query

CONFIG_REVISIONS = Query(
    "test.config_revisions",
    """
    MATCH (s:System {blueprint: $bp})-[:HAS_CONFIG]->(c:Config)
    RETURN s.id AS system, c.stage AS stage, c.revision AS revision ORDER BY system, stage
    """,
)


def _revisions(blueprints: Blueprints, bp: str) -> dict[tuple[str, str], int | None]:
    rows = blueprints.graph.read(CONFIG_REVISIONS, bp=bp)
    return {(r["system"], r["stage"]): r["revision"] for r in rows}


def _commit(blueprints: Blueprints, bp: str, edit: dict[str, Any]) -> int:
    version = blueprints.staging.version(bp)
    version = blueprints.staging.stage(bp, edit, base_version=version, author="alice")
    return blueprints.commit(bp, base_version=version, author="alice", message="x").number


def test_each_commit_stamps_the_configs_it_stores_with_its_revision(
    make_blueprint: Any, blueprints: Blueprints
) -> None:
    """Revision 1 removes VN "web" (rack1, rack2 leafs); revision 2 changes rack1-leaf1's
    hostname only: its configs move to revision 2, rack2-leaf1's stay at revision 1."""
    bp = make_blueprint("lab-evpn")
    first = _commit(blueprints, bp, {"kind": "remove_virtual_network", "params": {"name": "web"}})
    stamped = _revisions(blueprints, bp)
    assert stamped == {
        (system, stage): first
        for system in ("rack1-leaf1", "rack2-leaf1")
        for stage in ("incremental", "rendered")
    }
    second = _commit(
        blueprints,
        bp,
        {
            "kind": "set_property",
            "params": {"kind": "System", "id": "rack1-leaf1", "key": "hostname", "value": "r1l1"},
        },
    )
    assert second == first + 1
    stamped = _revisions(blueprints, bp)
    assert stamped[("rack1-leaf1", "rendered")] == second
    assert stamped[("rack1-leaf1", "incremental")] == second
    assert stamped[("rack2-leaf1", "rendered")] == first
