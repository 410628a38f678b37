"""Every physical port of a switch is an Interface; the nested read costs one statement
per level; lists page by cursor in natural order of names.

Expected ports are counted from the device profile YAML (port ranges: prefix, first,
count), never from the engine::

    spine1 [swp1 swp2 ... swp8]        every profile port, cabled or not
      |      \\
    rack1-leaf1 [swp1 ... swp8]        cabled: intended up, with an address
                                       unused: intended down, no address, no link
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from blueprint_engine.blueprints import DEFAULT_CATALOGUE, Blueprints
from blueprint_engine.graph.db import Graph, Query
from graph_schema.migrations import MIGRATIONS
from tests.integration.api_calls import ADMIN, OPERATOR, gql

pytestmark = pytest.mark.integration

PORTS = Query(
    "test.ports",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(s:System) WHERE s.role <> 'server'
    MATCH (s)-[:HAS_INTERFACE]->(i:Interface)
    RETURN s.id AS system, s.device_profile AS profile, i.name AS name,
           i.speed_mbps AS speed, i.breakouts AS breakouts, i.ipv4 AS ipv4,
           EXISTS { (i)<-[:ENDPOINT]-(:Link) } AS cabled
    """,
)


def profile_ports() -> dict[str, dict[str, tuple[int, tuple[str, ...]]]]:
    """{profile: {port name: (speed, breakouts)}} straight from the YAML."""
    data = yaml.safe_load((Path(DEFAULT_CATALOGUE) / "device_profiles.yaml").read_text())
    return {
        p["name"]: {
            f"{r['prefix']}{r['first'] + n}": (
                r["speed_mbps"],
                tuple(f"{b['lanes']}x{b['speed_mbps']}" for b in r.get("breakouts", [])),
            )
            for r in p["ports"]
            for n in range(r["count"])
        }
        for p in data["device_profiles"]
    }


@pytest.mark.parametrize("template", ["lab", "medium"])
def test_a_built_blueprint_has_exactly_the_ports_its_device_profiles_imply(
    graph: Graph, make_blueprint: Callable[[str], str], template: str
) -> None:
    bp = make_blueprint(template)
    expected = profile_ports()
    found: dict[str, dict[str, tuple[int, tuple[str, ...]]]] = {}
    profiles: dict[str, str] = {}
    for row in graph.read(PORTS, bp=bp):
        profiles[row["system"]] = row["profile"]
        found.setdefault(row["system"], {})[row["name"]] = (
            row["speed"],
            tuple(row["breakouts"] or ()),
        )
        assert (row["ipv4"] is not None) == row["cabled"], (row["system"], row["name"])
    assert found
    for system, ports in found.items():
        assert ports == expected[profiles[system]], system


def test_removing_and_adding_a_rack_keeps_every_spine_port(
    graph: Graph, blueprints: Blueprints, make_blueprint: Callable[[str], str]
) -> None:
    bp = make_blueprint("lab")
    before = {(r["system"], r["name"]) for r in graph.read(PORTS, bp=bp)}
    version = blueprints.staging.stage(
        bp, {"kind": "remove_rack", "params": {"rack": "rack1"}}, base_version=0, author="t"
    )
    blueprints.commit(bp, base_version=version, author="t", message="drop rack1")
    rows = graph.read(PORTS, bp=bp)
    spine_ports = {(r["system"], r["name"]): r for r in rows if r["system"].startswith("spine")}
    assert {k for k in before if k[0].startswith("spine")} == set(spine_ports)
    freed = [r for r in spine_ports.values() if not r["cabled"]]
    assert freed and all(r["ipv4"] is None for r in freed)
    version = blueprints.staging.stage(
        bp,
        {"kind": "add_rack", "params": {"rack_type": "lab-single-leaf"}},
        base_version=blueprints.staging.version(bp),
        author="t",
    )
    blueprints.commit(bp, base_version=version, author="t", message="a rack")
    after = graph.read(PORTS, bp=bp)
    spines = [r for r in after if r["system"].startswith("spine")]
    assert {(r["system"], r["name"]) for r in spines} == set(spine_ports)
    assert all((r["ipv4"] is not None) == r["cabled"] for r in after)
    assert_natural_keys_stored(graph, bp)  # the added rack's systems, ports and links too


KEYS = Query(
    "test.sort_keys",
    """
    MATCH (n {blueprint: $bp}) WHERE n:System OR n:Link OR n:Interface
    RETURN labels(n)[0] AS label, n.id AS id, n.name AS name, n.sort_key AS key
    """,
)


def natural(name: str) -> str:
    """leaf2 -> leaf000000000002: digit runs padded to 12 (spelled out here, not imported)."""
    return re.sub(r"\d+", lambda m: m.group().rjust(12, "0"), name)


def assert_natural_keys_stored(graph: Graph, bp: str) -> None:
    rows = graph.read(KEYS, bp=bp)
    assert {r["label"] for r in rows} == {"System", "Link", "Interface"}
    for r in rows:
        of = r["name"] if r["label"] == "Interface" else r["id"]
        assert r["key"] == natural(of), r


def test_a_built_blueprint_stores_the_natural_key_of_every_system_port_and_link(
    graph: Graph, make_blueprint: Callable[[str], str]
) -> None:
    assert_natural_keys_stored(graph, make_blueprint("lab"))


def test_the_migration_fills_in_the_keys_of_nodes_built_before_it(
    graph: Graph, make_blueprint: Callable[[str], str]
) -> None:
    bp = make_blueprint("lab")
    graph.write(Query("test.drop_keys", "MATCH (n {blueprint: $bp}) REMOVE n.sort_key"), bp=bp)
    [backfill] = [m for m in MIGRATIONS if m.number == 10]
    for statement in backfill.statements:
        if statement.startswith("MATCH "):
            graph.write(Query("test.backfill", statement))
    assert_natural_keys_stored(graph, bp)


@pytest.fixture
def medium(client: TestClient) -> Iterator[str]:
    name = f"t-ports-{uuid.uuid4().hex[:8]}"
    body = gql(
        client,
        'mutation($n: String!) { createBlueprint(name: $n, template: "medium") { name } }',
        OPERATOR,
        n=name,
    )
    assert body["data"]["createBlueprint"]["name"] == name
    yield name
    gql(client, "mutation($n: String!) { deleteBlueprint(name: $n) }", ADMIN, n=name)


PEER = """
query($n: String!, $k: Int!) { blueprint(name: $n) {
  systems(role: "leaf", first: $k) { hostname interfaces { name speedMbps enabled intent ipv4
    link { id aEnd { name system { hostname } } bEnd { name system { hostname } } } } } } }
"""


def _calls(client: TestClient, query: str, **variables: Any) -> tuple[Any, dict[str, int]]:
    stats = client.app.state.graph.stats  # type: ignore[attr-defined]
    before = dict(stats.calls)
    body = gql(client, query, **variables)
    assert "errors" not in body, body
    calls = {k: v - before.get(k, 0) for k, v in stats.calls.items() if v != before.get(k, 0)}
    return body["data"], calls


@pytest.mark.parametrize("page", [1, 7, 32])
def test_the_peer_shaped_read_costs_one_statement_per_level_whatever_the_page_size(
    client: TestClient, medium: str, page: int
) -> None:
    data, calls = _calls(client, PEER, n=medium, k=page)
    systems = data["blueprint"]["systems"]
    assert len(systems) == page
    assert calls == {
        "blueprint.summary": 1,  # the blueprint
        "reads.shaped.systems": 1,  # its systems
        "reads.shaped.interfaces_of_systems": 1,  # their ports, links and far ends
    }
    for system in systems:
        for port in system["interfaces"]:
            link = port["link"]
            assert port["enabled"] == (link is not None)
            assert port["intent"] == ("in_service" if link else "unused")
            if link is not None:
                ends = [(e["system"]["hostname"], e["name"]) for e in (link["aEnd"], link["bEnd"])]
                assert (system["hostname"], port["name"]) in ends
                assert link["id"] == "--".join(f"{h}:{n}" for h, n in ends)


PAGE = """
query($n: String!, $k: Int!, $after: String) { blueprint(name: $n) {
  systems(first: $k, after: $after) { id cursor } links(first: $k, after: $after) { id } } }
"""
PORT_PAGE = """
query($n: String!, $k: Int!, $after: String) { blueprint(name: $n) {
  systems(name: "rack10-leaf1") { interfaces(first: $k, after: $after) { name cursor } } } }
"""


COUNTS = "query($n: String!) { blueprint(name: $n) { spines leafs servers } }"


def _natural(name: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def test_systems_and_ports_page_by_cursor_in_natural_order(client: TestClient, medium: str) -> None:
    seen: list[str] = []
    after = None
    while True:
        data, _ = _calls(
            client,
            PAGE.replace(" links(first: $k, after: $after) { id }", ""),
            n=medium,
            k=13,
            after=after,
        )
        page = data["blueprint"]["systems"]
        if not page:
            break
        seen += [s["id"] for s in page]
        after = page[-1]["cursor"]
    assert seen == sorted(seen, key=_natural)
    counts, _ = _calls(client, COUNTS, n=medium)
    assert len(seen) == len(set(seen)) == sum(counts["blueprint"].values())
    assert seen.index("rack2-leaf1") < seen.index("rack10-leaf1")
    ports: list[str] = []
    after = None
    while True:
        data, _ = _calls(client, PORT_PAGE, n=medium, k=5, after=after)
        page = data["blueprint"]["systems"][0]["interfaces"]
        if not page:
            break
        ports += [p["name"] for p in page]
        after = page[-1]["cursor"]
    assert ports == sorted(profile_ports()["frr-switch-8x100-48x25"], key=_natural)
