"""Removing a rack frees the spine ports its uplinks used, so a full fabric can swap racks.

      spine1 (8 leaf-facing ports)  spine2 (8)
        | | | | | | | |              every port used: the lab template's 4 leafs
      rack1 ... rack7                + single-leaf racks added until the spines are full

Then rack1 is removed and a rack added in the same staged session: the new leaf takes
the ports rack1 freed, no spine port is left behind without its link, and the removal
rolls back exactly. Port counts come from the fixture YAML.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from blueprint_engine.blueprints import DEFAULT_CATALOGUE, Blueprints
from blueprint_engine.graph.db import Graph, Query

pytestmark = pytest.mark.integration

SPINE_PORTS = Query(
    "test.spine_ports",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(s:System {role: 'spine'})
          -[:HAS_INTERFACE]->(i:Interface)
    OPTIONAL MATCH (l:Link)-[:ENDPOINT]->(i)
    RETURN s.id AS spine, i.name AS port, l.id AS link ORDER BY spine, port
    """,
)
ADD = {"kind": "add_rack", "params": {"rack_type": "lab-single-leaf"}}


def entry(kind: str, name: str) -> dict[str, Any]:
    data = yaml.safe_load((Path(DEFAULT_CATALOGUE) / f"{kind}.yaml").read_text())
    found: dict[str, Any] = next(e for e in data[kind] if e["name"] == name)
    return found


def leaf_ports_per_spine() -> int:
    spine = entry("logical_devices", entry("templates", "lab")["spines"]["logical_device"])
    return sum(g["count"] for g in spine["port_groups"] if "leaf" in g["roles"])


def test_a_full_fabric_can_replace_a_rack_and_no_spine_port_is_left_dangling(
    make_blueprint: Any, blueprints: Blueprints, graph: Graph
) -> None:
    bp = make_blueprint("lab")
    staging = blueprints.staging
    leafs, racks = blueprints.summary(bp)["leafs"], blueprints.summary(bp)["racks"]
    added = leaf_ports_per_spine() - leafs
    version = 0
    for _ in range(added):
        version = staging.stage(bp, ADD, base_version=version, author="t")
    staging.commit(bp, base_version=version, author="t", message="fill the spines")
    full = graph.read(SPINE_PORTS, bp=bp)
    assert len(full) == 2 * leaf_ports_per_spine() and all(r["link"] for r in full)
    rack1_ports = {(r["spine"], r["port"]) for r in full if "rack1-" in r["link"]}

    version = staging.version(bp)
    version = staging.stage(
        bp, {"kind": "remove_rack", "params": {"rack": "rack1"}}, base_version=version, author="t"
    )
    removed = {(e["kind"], e["id"]) for e in staging.diff(bp)}
    assert {("Interface", f"{spine}:{port}") for spine, port in rack1_ports} <= removed
    version = staging.stage(bp, ADD, base_version=version, author="t")  # fits: ports are free
    assert staging.build_errors(bp) == []
    revision = blueprints.commit(bp, base_version=version, author="t", message="swap rack1")
    assert {"spine1", "spine2"} <= set(revision.devices)  # their ports changed
    after = graph.read(SPINE_PORTS, bp=bp)
    assert all(r["link"] for r in after)  # nothing left behind
    assert {(r["spine"], r["port"]) for r in after} == {(r["spine"], r["port"]) for r in full}
    new_rack = f"rack{racks + added + 1}"  # racks are numbered after the highest
    assert {(r["spine"], r["port"]) for r in after if f"{new_rack}-" in r["link"]} == rack1_ports

    head = staging.version(bp)
    version = staging.rollback(bp, 1, base_version=head, author="t")
    staging.commit(bp, base_version=version, author="t", message="back to full")
    assert graph.read(SPINE_PORTS, bp=bp) == full


CONFIGS = Query(
    "test.configs_of",
    "MATCH (c:Config) WHERE c.device STARTS WITH $bp + '/' RETURN c.device AS device",
)


def test_stored_configs_leave_with_their_system_and_their_blueprint(
    blueprints: Blueprints, graph: Graph
) -> None:
    bp = f"t-cfg-{uuid.uuid4().hex[:8]}"
    blueprints.create(bp, "lab")
    try:
        staging = blueprints.staging
        new_leaf = f"rack{blueprints.summary(bp)['racks'] + 1}-leaf1"
        version = staging.stage(bp, ADD, base_version=0, author="t")
        revision = blueprints.commit(bp, base_version=version, author="t", message="add")
        stored = {r["device"] for r in graph.read(CONFIGS, bp=bp)}
        assert stored == {f"{bp}/{device}" for device in revision.devices}
        assert new_leaf in revision.devices
        version = staging.rollback(bp, 0, base_version=staging.version(bp), author="t")
        blueprints.commit(bp, base_version=version, author="t", message="undo")
        assert f"{bp}/{new_leaf}" not in {r["device"] for r in graph.read(CONFIGS, bp=bp)}
    finally:
        blueprints.delete(bp)
    assert graph.read(CONFIGS, bp=bp) == []
