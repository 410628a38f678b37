"""Impact analysis on real blueprints returns exactly what the topology implies.

Expectations come from ``impact_oracle``: the design rebuilt from the template, a
brute-force path search (server -> leaf -> spine) and single-failure enumeration for
redundancy -- never from the code under test.

    spine1 ... spineS            medium: 4 spines, 16 racks of a leaf pair,
       |  \\  /  |                        4 dual-homed servers per rack
     leaf1  leaf2  (a pair)      large: 8 spines, 256 such racks of 8 servers
       | \\  / |                  lab-evpn: 2 spines, 2 single-leaf racks (one
     server  server                single-homed server each) + 1 pair (2 dual-homed)
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.build import build_design
from blueprint_engine.errors import NotFoundError, ValidationError
from blueprint_engine.impact import query as impact
from tests.integration.blueprint.impact_oracle import Expected, Oracle, dropped_empty, observed

pytestmark = pytest.mark.integration


@dataclass
class Built:
    name: str
    oracle: Oracle


def build(blueprints: Blueprints, template: str) -> Iterator[Built]:
    name = f"t-impact-{template}-{uuid.uuid4().hex[:8]}"
    blueprints.create(name, template)
    try:
        yield Built(name, Oracle(build_design(blueprints.catalogue, template, name)))
    finally:
        blueprints.delete(name)


@pytest.fixture(scope="module")
def lab_evpn(blueprints: Blueprints) -> Iterator[Built]:
    yield from build(blueprints, "lab-evpn")


@pytest.fixture(scope="module")
def medium(blueprints: Blueprints) -> Iterator[Built]:
    yield from build(blueprints, "medium")


@pytest.fixture(scope="module")
def large(blueprints: Blueprints) -> Iterator[Built]:
    yield from build(blueprints, "large")


def assert_same(got: Expected, want: Expected, label: str) -> None:
    assert got.links == want.links, label
    assert got.interfaces == want.interfaces, label
    assert got.sessions == want.sessions, label
    assert got.systems == want.systems, label
    assert got.redundancy == want.redundancy, label
    assert got.connectivity == want.connectivity, label
    assert dropped_empty(got.networks) == dropped_empty(want.networks), label


# --- picking elements from the design (not from the graph) ------------------------------

Pick = Callable[[Oracle], list[str]]


def _xcvr(oracle: Oracle, owner_role: str, link_role: str) -> list[str]:
    return [
        t.id
        for t in oracle.design.transceivers
        if oracle.role[oracle.owner[t.interface]] == owner_role
        and oracle.link_by_id[oracle.link_of[t.interface]].role == link_role
    ]


def _server_ports(oracle: Oracle) -> list[str]:
    return [i.id for i in oracle.design.interfaces if oracle.role[i.system] == "server"]


def _links(oracle: Oracle, role: str) -> list[str]:
    return [link.id for link in oracle.design.links if link.role == role]


def _systems(oracle: Oracle, role: str) -> list[str]:
    return [s for s, r in oracle.role.items() if r == role]


def _paired_leafs(oracle: Oracle) -> list[str]:
    return [leaf for r in oracle.design.racks if len(r.leafs) == 2 for leaf in r.leafs]


CASES: dict[str, tuple[str, Pick]] = {
    "transceiver on a spine, spine-leaf link": (
        "transceiver",
        lambda o: _xcvr(o, "spine", "spine_leaf"),
    ),
    "transceiver on a leaf uplink": ("transceiver", lambda o: _xcvr(o, "leaf", "spine_leaf")),
    "transceiver on a leaf server port": ("transceiver", lambda o: _xcvr(o, "leaf", "leaf_server")),
    "server interface": ("interface", _server_ports),
    "leaf uplink interface": (
        "interface",
        lambda o: [o.link_by_id[link].b for link in _links(o, "spine_leaf")],
    ),
    "spine-leaf link": ("link", lambda o: _links(o, "spine_leaf")),
    "leaf-server link": ("link", lambda o: _links(o, "leaf_server")),
    "spine": ("system", lambda o: _systems(o, "spine")),
    "leaf of a pair": ("system", _paired_leafs),
    "server": ("system", lambda o: _systems(o, "server")),
    "virtual network": ("virtual_network", lambda o: [v.id for v in o.design.virtual_networks]),
}


def sample(oracle: Oracle, pick: Pick, count: int, seed: str) -> list[str]:
    found = pick(oracle)
    assert found, "the template has no such element"
    return random.Random(seed).sample(found, min(count, len(found)))


# --- medium ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(CASES))
def test_medium_impact_matches_the_topology(medium: Built, graph: Any, case: str) -> None:
    kind, pick = CASES[case]
    for element in sample(medium.oracle, pick, 3, case):
        got = observed(impact.impact(graph, medium.name, kind, element))
        assert_same(got, medium.oracle.expect(kind, element), f"{kind} {element}")


def test_medium_a_leaf_of_a_pair_costs_its_rack_redundancy_not_connectivity(
    medium: Built, graph: Any
) -> None:
    """Every server of a medium rack is dual-homed: losing one leaf leaves the other."""
    rack = medium.oracle.design.racks[2]
    result = impact.impact(graph, medium.name, "system", rack.leafs[0])
    assert {s.id for s in result.servers_losing_redundancy} == set(rack.servers)
    assert result.servers_losing_connectivity == ()
    assert {v.id for v in result.virtual_networks} == {
        v.id for v in medium.oracle.design.virtual_networks if rack.id in v.racks
    }


def test_medium_a_spine_of_four_costs_no_server_anything(medium: Built, graph: Any) -> None:
    result = impact.impact(graph, medium.name, "system", "spine2")
    assert result.servers_losing_redundancy == result.servers_losing_connectivity == ()
    assert len(result.bgp_sessions) == len(result.links) == 32  # one per leaf
    assert {s.effect for s in result.systems if s.role == "leaf"} == {"fewer_uplinks"}


@pytest.mark.parametrize("mode", ["drain", "undeploy"])
@pytest.mark.parametrize("role", ["spine", "leaf"])
def test_medium_what_if_matches_the_topology(
    medium: Built, graph: Any, mode: str, role: str
) -> None:
    for system in sample(medium.oracle, lambda o: _systems(o, role), 2, f"{mode}{role}"):
        got = observed(impact.what_if(graph, medium.name, system, mode))
        assert_same(got, medium.oracle.expect("system", system, mode), f"{mode} {system}")


# --- lab-evpn: every element, single-homed servers and the evpn overlay -----------------


def test_lab_evpn_every_element_matches_the_topology(lab_evpn: Built, graph: Any) -> None:
    design = lab_evpn.oracle.design
    elements = (
        [("transceiver", t.id) for t in design.transceivers]
        + [("interface", i.id) for i in design.interfaces]
        + [("link", link.id) for link in design.links]
        + [("system", s.id) for s in design.systems]
        + [("virtual_network", v.id) for v in design.virtual_networks]
    )
    for kind, element in elements:
        got = observed(impact.impact(graph, lab_evpn.name, kind, element))
        assert_same(got, lab_evpn.oracle.expect(kind, element), f"{kind} {element}")
    for switch in _systems(lab_evpn.oracle, "spine") + _systems(lab_evpn.oracle, "leaf"):
        for mode in ("drain", "undeploy"):
            got = observed(impact.what_if(graph, lab_evpn.name, switch, mode))
            assert_same(got, lab_evpn.oracle.expect("system", switch, mode), f"{mode} {switch}")


def test_lab_evpn_edge_cases_read_as_the_topology_says(lab_evpn: Built, graph: Any) -> None:
    """Single-homed: a server link or its leaf disconnects it; two spines: a spine
    failure leaves every dual-homed server a single spine; a spine-leaf link takes
    the overlay session riding on it."""
    name = lab_evpn.name
    single = impact.impact(graph, name, "link", "rack1-leaf1:swp3--rack1-server1:eth0")
    assert [s.id for s in single.servers_losing_connectivity] == ["rack1-server1"]
    leaf = impact.impact(graph, name, "system", "rack1-leaf1")
    assert [s.id for s in leaf.servers_losing_connectivity] == ["rack1-server1"]
    assert [v.id for v in leaf.virtual_networks] == ["web"]
    assert leaf.virtual_networks[0].unavailable_in_racks == ("rack1",)
    spine = impact.impact(graph, name, "system", "spine1")
    assert [s.id for s in spine.servers_losing_redundancy] == ["rack3-server1", "rack3-server2"]
    uplink = impact.impact(graph, name, "link", "spine1:swp1--rack1-leaf1:swp1")
    assert {s.id for s in uplink.bgp_sessions} == {
        "spine1--rack1-leaf1",
        "spine1--rack1-leaf1:evpn",
    }


def test_what_if_counts_a_leaf_already_drained(blueprints: Blueprints, graph: Any) -> None:
    """rack3-leaf1 is in deploy mode drain: draining rack3-leaf2 too cuts rack3 off."""
    built = build(blueprints, "lab-evpn")
    lab = next(built)
    try:
        base = blueprints.summary(lab.name)["staged_version"]
        edit = {"kind": "set_deploy_mode", "params": {"system": "rack3-leaf1", "mode": "drain"}}
        blueprints.staging.stage(lab.name, edit, base_version=base, author="test")
        blueprints.commit(lab.name, base_version=base + 1, author="test", message="drain")
        oracle = Oracle(lab.oracle.design, out_of_service={"rack3-leaf1"})
        result = impact.what_if(graph, lab.name, "rack3-leaf2", "drain")
        assert_same(observed(result), oracle.expect("system", "rack3-leaf2", "drain"), "drain")
        assert {s.id for s in result.servers_losing_connectivity} == {
            "rack3-server1",
            "rack3-server2",
        }
    finally:
        next(built, None)


# --- large -------------------------------------------------------------------------------

LARGE_CASES = [
    "transceiver on a spine, spine-leaf link",
    "transceiver on a leaf uplink",
    "transceiver on a leaf server port",
    "server interface",
    "spine-leaf link",
    "leaf-server link",
    "leaf of a pair",
    "server",
    "virtual network",
]


def test_large_impact_matches_the_topology(large: Built, graph: Any) -> None:
    for case in LARGE_CASES:
        kind, pick = CASES[case]
        for element in sample(large.oracle, pick, 2, case):
            got = observed(impact.impact(graph, large.name, kind, element))
            assert_same(got, large.oracle.expect(kind, element), f"{kind} {element}")


def test_large_a_spine_and_what_ifs_match_the_topology(large: Built, graph: Any) -> None:
    got = observed(impact.impact(graph, large.name, "system", "spine5"))
    assert_same(got, large.oracle.expect("system", "spine5"), "spine5")
    assert len(got.systems) == 1 + 512  # the spine down, every leaf one uplink fewer
    for system, mode in (("rack200-leaf2", "drain"), ("rack7-leaf1", "undeploy")):
        got = observed(impact.what_if(graph, large.name, system, mode))
        assert_same(got, large.oracle.expect("system", system, mode), f"{mode} {system}")


# --- bad input ---------------------------------------------------------------------------


def test_unknown_elements_name_what_was_not_found_and_what_is_allowed(
    lab_evpn: Built, graph: Any
) -> None:
    name = lab_evpn.name
    with pytest.raises(ValidationError) as kind:
        impact.impact(graph, name, "cable", "x")
    assert "cable" in kind.value.message and "virtual_network" in kind.value.allowed
    with pytest.raises(NotFoundError) as wrong_kind:
        impact.impact(graph, name, "link", "spine1")
    assert wrong_kind.value.message == (
        f"no link 'spine1' in blueprint '{name}' ('spine1' is a system)"
    )
    first_link = min(link.id for link in lab_evpn.oracle.design.links)
    assert f"(e.g. {first_link!r})" in wrong_kind.value.allowed  # examples in a stable order
    with pytest.raises(NotFoundError) as missing:
        impact.impact(graph, name, "transceiver", "spine9:swp1:xcvr")
    assert "no transceiver 'spine9:swp1:xcvr'" in missing.value.message
    assert "kinds: transceiver, interface, link, system, virtual_network" in missing.value.allowed
    with pytest.raises(NotFoundError) as blueprint:
        impact.impact(graph, f"{name}-nope", "system", "spine1")
    assert name in blueprint.value.allowed
    with pytest.raises(ValidationError) as server:
        impact.what_if(graph, name, "rack1-server1", "drain")
    assert "server" in server.value.message and "spine or leaf" in server.value.allowed
    with pytest.raises(ValidationError) as mode:
        impact.what_if(graph, name, "spine1", "reboot")
    assert mode.value.allowed == "drain, undeploy"


# --- GraphQL -----------------------------------------------------------------------------

IMPACT = """
query($bp: String!, $kind: ImpactKind!, $id: String!) {
  impact(blueprint: $bp, kind: $kind, id: $id) {
    kind id scenario
    interfaces { id system effect }
    links { id role a b effect }
    bgpSessions { id afi a b link effect }
    systems { id role effect uplinksBefore uplinksAfter }
    serversLosingRedundancy { id rack leafsBefore leafsAfter spinesBefore spinesAfter }
    serversLosingConnectivity { id rack leafsBefore leafsAfter }
    virtualNetworks { id vlan vni racks leafs unavailableInRacks
                      serversLosingRedundancy serversLosingConnectivity } } }
"""
WHAT_IF = """
query($bp: String!, $system: String!, $mode: WhatIfMode!) {
  whatIf(blueprint: $bp, system: $system, mode: $mode) {
    kind id scenario
    interfaces { id system effect }
    links { id role a b effect }
    bgpSessions { id afi a b link effect }
    systems { id role effect uplinksBefore uplinksAfter }
    serversLosingRedundancy { id }
    serversLosingConnectivity { id }
    virtualNetworks { id racks leafs unavailableInRacks
                      serversLosingRedundancy serversLosingConnectivity } } }
"""


def test_graphql_impact_round_trip_in_one_statement(medium: Built, client: TestClient) -> None:
    stats = client.app.state.graph.stats  # type: ignore[attr-defined]
    oracle = medium.oracle
    for kind, element in (
        ("TRANSCEIVER", _xcvr(oracle, "leaf", "leaf_server")[5]),
        ("SYSTEM", "rack9-leaf2"),
        ("VIRTUAL_NETWORK", "app"),
    ):
        before = sum(stats.calls.values())
        variables = {"bp": medium.name, "kind": kind, "id": element}
        response = client.post("/graphql", json={"query": IMPACT, "variables": variables})
        body = response.json()
        assert "errors" not in body, body
        assert sum(stats.calls.values()) - before == 1  # one Cypher statement per request
        assert_same(observed(body["data"]["impact"]), oracle.expect(kind.lower(), element), element)


def test_graphql_what_if_and_errors(medium: Built, client: TestClient) -> None:
    body = client.post(
        "/graphql",
        json={
            "query": WHAT_IF,
            "variables": {"bp": medium.name, "system": "spine3", "mode": "DRAIN"},
        },
    ).json()
    assert "errors" not in body, body
    result = body["data"]["whatIf"]
    assert result["scenario"] == "drain"
    assert_same(observed(result), medium.oracle.expect("system", "spine3", "drain"), "drain")
    body = client.post(
        "/graphql",
        json={
            "query": IMPACT,
            "variables": {"bp": medium.name, "kind": "LINK", "id": "rack1-leaf1"},
        },
    ).json()
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "not_found"
    assert "'rack1-leaf1' is a system" in error["extensions"]["message"]
    assert "kinds: transceiver" in error["extensions"]["allowed"]
