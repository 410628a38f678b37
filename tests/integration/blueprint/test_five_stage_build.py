"""5-stage and collapsed blueprints in the real Neo4j hold exactly what their YAML implies.

Expected counts come from the YAML (``tests/unit/blueprint/fabric_counts.py``), never
from the engine::

    superspines (planes x per plane)      superspine-spine: one link per spine and
       |  \\___________                     superspine of its plane
    podN-spine1 .. podN-spineS            spine-leaf: one link per spine and leaf of a pod
       |  \\  /  |
    rackK-leaf1 rackK-leaf2 ... servers   (collapsed: the leafs in a full mesh, no spine)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Graph, Query

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "blueprint"))
from fabric_counts import (
    FabricCounts,
    expected_collapsed,
    expected_five_stage,
)

pytestmark = pytest.mark.integration

COUNTS = Query(
    "test.fabric_counts",
    """
    MATCH (b:Blueprint {name: $bp})
    RETURN b.stages AS stages, b.planes AS planes,
           COUNT { (b)-[:HAS_POD]->() } AS pods,
           COUNT { (b)-[:HAS_RACK]->() } AS racks,
           COUNT { (:Interface {blueprint: $bp}) } AS interfaces,
           COLLECT { MATCH (b)-[:HAS_SYSTEM]->(s) WITH s.role AS k, count(*) AS n
                     RETURN [k, n] } AS systems,
           COLLECT { MATCH (l:Link {blueprint: $bp}) WITH l.role AS k, count(*) AS n
                     RETURN [k, n] } AS links,
           COLLECT { MATCH (x:BgpSession {blueprint: $bp}) WITH x.afi AS k, count(*) AS n
                     RETURN [k, n] } AS sessions,
           COLLECT { MATCH (r:Resource {blueprint: $bp})
                     WITH r.pool AS k, count(*) AS n, count(DISTINCT r.value) AS d
                     RETURN [k, n, d] } AS resources
    """,
)
# every address of the blueprint (switch loopbacks, interface addresses) held once
DUPLICATE_ADDRESSES = Query(
    "test.duplicate_addresses",
    """
    CALL () {
      MATCH (s:System {blueprint: $bp}) WHERE s.loopback IS NOT NULL
      RETURN split(s.loopback, '/')[0] AS ip
      UNION ALL
      MATCH (i:Interface {blueprint: $bp}) WHERE i.ipv4 IS NOT NULL
      RETURN split(i.ipv4, '/')[0] AS ip
    }
    WITH ip, count(*) AS n WHERE n > 1
    RETURN ip, n LIMIT 5
    """,
)
# link ends outside the switch's ports, and the port count of each switch
LINK_PORTS = Query(
    "test.link_ports",
    """
    MATCH (l:Link {blueprint: $bp})-[:ENDPOINT]->(i:Interface)<-[:HAS_INTERFACE]-(s:System)
    WHERE s.role <> 'server'
    WITH s.device_profile AS profile, size(s.ports) AS ports,
         sum(CASE WHEN i.name IN s.ports THEN 0 ELSE 1 END) AS outside
    RETURN profile, collect(DISTINCT ports) AS port_counts, sum(outside) AS outside
    """,
)


def _expected(template: str) -> FabricCounts:
    if template == "lab-collapsed":
        return expected_collapsed(template)
    return expected_five_stage(template)


def _check(graph: Graph, name: str, want: FabricCounts) -> None:
    row = graph.read(COUNTS, bp=name)[0]
    assert dict(map(tuple, row["systems"])) == dict(want.systems)
    assert dict(map(tuple, row["links"])) == dict(+want.links)
    assert dict(map(tuple, row["sessions"])) == dict(want.sessions)
    assert {pool: n for pool, n, _ in row["resources"]} == dict(+want.resources)
    assert all(n == distinct for _, n, distinct in row["resources"])
    assert (row["pods"], row["racks"], row["interfaces"]) == (
        want.pods,
        want.racks,
        want.interfaces,
    )
    assert graph.read(DUPLICATE_ADDRESSES, bp=name) == []
    for port_row in graph.read(LINK_PORTS, bp=name):
        assert port_row["outside"] == 0, port_row
        assert port_row["port_counts"] == [want.profile_ports[port_row["profile"]]]


@pytest.mark.parametrize("template", ["lab5", "lab5-evpn", "medium5", "lab-collapsed"])
def test_a_five_stage_or_collapsed_blueprint_holds_what_its_template_implies(
    template: str, make_blueprint: Any, graph: Graph
) -> None:
    name = make_blueprint(template)
    _check(graph, name, _expected(template))


@pytest.mark.skipif(
    os.environ.get("FG_TEST_XLARGE") == "0", reason="FG_TEST_XLARGE=0 skips the 2,464-switch build"
)
@pytest.mark.timeout(3000)  # 2,464 switches, 382k nodes: minutes on a loaded 2-core machine
def test_xlarge_holds_what_its_template_implies(make_blueprint: Any, graph: Graph) -> None:
    name = make_blueprint("xlarge")
    want = expected_five_stage("xlarge")
    assert want.switches >= 2400 and want.systems["server"] >= 16384
    _check(graph, name, want)


CABLED_SUPERSPINE_PORTS = Query(
    "test.cabled_superspine_ports",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(s:System {role: 'superspine'})
          -[:HAS_INTERFACE]->(i:Interface)
    RETURN s.id AS id, count(i) AS ports, count(i.ipv4) AS cabled ORDER BY id
    """,
)


def test_a_staged_pod_adds_its_switches_and_only_cables_superspine_ports(
    make_blueprint: Any, blueprints: Blueprints, graph: Graph
) -> None:
    """lab-pod: 2 spines (one per plane of lab5) and one leaf-pair rack, so each of the
    two superspines (one per plane) gets one more cabled port."""
    name = make_blueprint("lab5")
    before = blueprints.summary(name)
    ports_before = graph.read(CABLED_SUPERSPINE_PORTS, bp=name)
    edit = {"kind": "add_pod", "params": {"template": "lab-pod"}}
    version = blueprints.staging.stage(name, edit, base_version=0, author="test")
    staged = blueprints.staged_summary(name)
    assert (staged["pods"], staged["spines"]) == (before["pods"] + 1, before["spines"] + 2)
    assert staged["superspines"] == before["superspines"]
    blueprints.commit(name, base_version=version, author="test", message="pod3")
    after = blueprints.summary(name)
    assert (after["pods"], after["leafs"]) == (3, before["leafs"] + 2)
    ports_after = graph.read(CABLED_SUPERSPINE_PORTS, bp=name)
    assert [r["ports"] for r in ports_after] == [r["ports"] for r in ports_before]
    assert [r["cabled"] for r in ports_after] == [r["cabled"] + 1 for r in ports_before]


def test_planes_cannot_change_after_build(make_blueprint: Any, blueprints: Blueprints) -> None:
    from blueprint_engine.errors import ValidationError

    name = make_blueprint("lab5")
    edit = {
        "kind": "set_property",
        "params": {"kind": "System", "id": "superspine1", "key": "plane", "value": 2},
    }
    with pytest.raises(ValidationError, match="planes are fixed when a 5-stage blueprint"):
        blueprints.staging.stage(name, edit, base_version=0, author="test")
    assert blueprints.summary(name)["staged_version"] == 0


BUILDING = Query(
    "test.building_flag", "MATCH (b:Blueprint {name: $bp}) RETURN b.building AS building"
)


def test_a_design_too_big_for_one_transaction_is_written_in_batches_with_the_same_result(
    blueprints: Blueprints, graph: Graph
) -> None:
    """The batched write (what `xlarge` takes) gives the graph one transaction gives."""
    import uuid

    from blueprint_engine.design.build import build_design
    from blueprint_engine.design.store import write_design

    name = f"t-batched-{uuid.uuid4().hex[:8]}"
    design = build_design(blueprints.catalogue, "lab5", name)
    write_design(graph, design, one_tx_nodes=10)
    try:
        assert graph.read(BUILDING, bp=name) == [{"building": None}]
        _check(graph, name, expected_five_stage("lab5"))
    finally:
        blueprints.delete(name)


def test_a_batched_write_that_fails_leaves_no_blueprint(
    blueprints: Blueprints, graph: Graph
) -> None:
    import dataclasses
    import uuid

    from blueprint_engine.design.build import build_design
    from blueprint_engine.design.model import Allocation
    from blueprint_engine.design.store import write_design
    from blueprint_engine.errors import FabricError

    name = f"t-batched-{uuid.uuid4().hex[:8]}"
    design = build_design(blueprints.catalogue, "lab5", name)
    # a resource held twice: the graph's uniqueness constraint refuses the last batch
    twice = design.allocations[-1]
    broken = dataclasses.replace(
        design, allocations=[*design.allocations, Allocation(twice.pool, twice.value, name)]
    )
    with pytest.raises(FabricError):
        write_design(graph, broken, one_tx_nodes=10)
    assert name not in blueprints.names()


def test_a_rack_staged_into_a_pod_is_cabled_to_that_pods_spines_only(
    make_blueprint: Any, blueprints: Blueprints, graph: Graph
) -> None:
    name = make_blueprint("lab5")
    edit = {"kind": "add_rack", "params": {"rack_type": "lab-leaf-pair", "pod": "pod2"}}
    version = blueprints.staging.stage(name, edit, base_version=0, author="test")
    blueprints.commit(name, base_version=version, author="test", message="rack3 into pod2")
    rows = graph.read(RACK_SPINES, bp=name, rack="rack3")
    assert rows == [{"pod": "pod2", "spines": ["pod2-spine1", "pod2-spine2"]}]


RACK_SPINES = Query(
    "test.rack_spines",
    """
    MATCH (k:Rack {uid: $bp + '/' + $rack})-[:IN_POD]->(p:Pod)
    MATCH (k)<-[:IN_RACK]-(:System {role: 'leaf'})-[:HAS_INTERFACE]->(:Interface)
          <-[:ENDPOINT]-(:Link {role: 'spine_leaf'})-[:ENDPOINT]->(:Interface)
          <-[:HAS_INTERFACE]-(s:System {role: 'spine'})
    WITH p, s.id AS spine ORDER BY spine
    RETURN p.id AS pod, collect(DISTINCT spine) AS spines
    """,
)
