"""A blueprint built from a template holds exactly what the template's YAML implies.

Expected counts are computed here from the YAML numbers (spines, racks, leafs per
rack, servers per rack, homing), never from the engine.

      spine1 ... spineS          every leaf has one uplink to every spine
        |  \\  /  |               (one /31 and one eBGP session per uplink)
      leaf ... leaf              a rack: 1 leaf (single) or 2 (pair)
        |       |                servers: single-homed to one leaf,
      server  server             dual-homed to both leafs of a pair
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from blueprint_engine.blueprints import DEFAULT_CATALOGUE, Blueprints
from blueprint_engine.graph.db import Graph, Query

pytestmark = pytest.mark.integration

RESOURCES = Query(
    "test.resources",
    """
    MATCH (r:Resource {blueprint: $bp})
    RETURN r.pool AS pool, count(*) AS n, count(DISTINCT r.value) AS distinct_values
    """,
)
SERVER_LINKS = Query(
    "test.server_links_per_server",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(s:System {role: 'server'})
    RETURN s.id AS server, COUNT { (s)-[:HAS_INTERFACE]->()<-[:ENDPOINT]-(:Link) } AS links
    """,
)


def expected(template_name: str) -> dict[str, Any]:
    docs = {p.stem: yaml.safe_load(p.read_text()) for p in Path(DEFAULT_CATALOGUE).glob("*.yaml")}
    template = next(t for t in docs["templates"]["templates"] if t["name"] == template_name)
    rack_types = {r["name"]: r for r in docs["rack_types"]["rack_types"]}
    spines = template["spines"]["count"]
    leafs = servers = server_links = 0
    racks = 0
    for entry in template["racks"]:
        rack = rack_types[entry["rack_type"]]
        n_leafs = 1 if rack["leafs"] == "single" else 2
        homed = 1 if rack["servers"]["homing"] == "single" else n_leafs
        count = entry["count"]
        racks += count
        leafs += count * n_leafs
        servers += count * rack["servers"]["count"]
        server_links += count * rack["servers"]["count"] * homed * rack["servers"]["links_per_leaf"]
    fabric_links = leafs * spines
    return {
        "racks": racks,
        "spines": spines,
        "leafs": leafs,
        "servers": servers,
        "links": fabric_links + server_links,
        "bgp_sessions": fabric_links * (2 if template["overlay"] == "evpn" else 1),
        "server_links": server_links,
    }


@pytest.mark.parametrize("template", ["lab", "lab-evpn", "medium"])
def test_blueprint_has_exactly_the_systems_links_and_sessions_its_template_implies(
    template: str, make_blueprint: Any, blueprints: Blueprints
) -> None:
    name = make_blueprint(template)
    want = expected(template)
    got = blueprints.summary(name)
    for key in ("racks", "spines", "leafs", "servers", "links", "bgp_sessions"):
        assert got[key] == want[key], key


def test_every_resource_value_is_held_once_and_every_switch_has_asn_and_loopback(
    make_blueprint: Any, graph: Graph
) -> None:
    name = make_blueprint("medium")
    want = expected("medium")
    pools = {r["pool"]: r for r in graph.read(RESOURCES, bp=name)}
    assert all(r["n"] == r["distinct_values"] for r in pools.values())
    assert pools["ipv4-loopback"]["n"] == want["spines"] + want["leafs"]
    assert pools["ipv4-fabric"]["n"] == want["spines"] * want["leafs"]
    assert pools["ipv4-server-link"]["n"] == want["server_links"]
    assert pools["ipv4-server-host"]["n"] == want["servers"]
    assert pools["asn-leaf"]["n"] == want["leafs"]
    assert pools["asn-spine"]["n"] == 1


def test_dual_homed_servers_have_one_link_to_each_leaf_of_their_pair(
    make_blueprint: Any, graph: Graph
) -> None:
    name = make_blueprint("medium")
    links = {r["server"]: r["links"] for r in graph.read(SERVER_LINKS, bp=name)}
    assert set(links.values()) == {2}


def test_a_second_blueprint_with_the_same_name_is_refused_and_nothing_changes(
    make_blueprint: Any, blueprints: Blueprints
) -> None:
    from blueprint_engine.errors import ConflictError

    name = make_blueprint("lab")
    before = blueprints.summary(name)
    with pytest.raises(ConflictError, match="already exists"):
        blueprints.create(name, "lab")
    assert blueprints.summary(name) == before


def test_an_unknown_template_is_refused_with_the_known_ones(blueprints: Blueprints) -> None:
    from blueprint_engine.errors import FabricError

    with pytest.raises(FabricError) as err:
        blueprints.create("t-unknown-template", "no-such-template")
    assert "lab" in err.value.allowed
    assert "t-unknown-template" not in blueprints.names()
