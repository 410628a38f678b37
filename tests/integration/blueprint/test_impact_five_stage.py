"""Impact and what-if on 5-stage fabrics, per tier: superspine, plane, pod spine, pod.

lab5 (2 planes of 1 superspine; 2 pods of 2 spines and one leaf pair with 2
dual-homed servers)::

      superspine1 (plane 1)            superspine2 (plane 2)
        |            \\_______  _______/        |
      pod1-spine1  pod1-spine2 X  pod2-spine1  pod2-spine2
        |  \\     /  |          / \\   |  \\     /  |
      rack1-leaf1  rack1-leaf2      rack2-leaf1  rack2-leaf2
        rack1-server1, rack1-server2  rack2-server1, rack2-server2

medium5 has 2 superspines per plane, so one superspine costs nobody redundancy but a
whole plane does. Expectations are read off these drawings, not from the engine.
"""

from __future__ import annotations

from typing import Any

import pytest

from blueprint_engine.errors import NotFoundError
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.impact import query
from blueprint_engine.impact.query import impact, what_if

pytestmark = pytest.mark.integration

LAB5_SERVERS = {"rack1-server1", "rack1-server2", "rack2-server1", "rack2-server2"}
POD1_SERVERS = {"rack1-server1", "rack1-server2"}


@pytest.fixture(scope="module")
def lab5(blueprints: Any) -> Any:
    name = "t-impact5-lab5"
    if name in blueprints.names():
        blueprints.delete(name)
    blueprints.create(name, "lab5")
    yield name
    blueprints.delete(name)


@pytest.fixture(scope="module")
def medium5(blueprints: Any) -> Any:
    name = "t-impact5-medium5"
    if name in blueprints.names():
        blueprints.delete(name)
    blueprints.create(name, "medium5")
    yield name
    blueprints.delete(name)


def _ids(rows: Any) -> set[str]:
    return {row.id for row in rows}


def test_a_superspine_of_a_one_superspine_plane_costs_every_server_its_redundancy(
    graph: Graph, lab5: str
) -> None:
    result = impact(graph, lab5, "system", "superspine1")
    assert _ids(result.servers_losing_redundancy) == LAB5_SERVERS
    assert not result.servers_losing_connectivity
    isolated = {(s.id, s.effect, s.uplinks_after) for s in result.systems if s.role == "spine"}
    assert isolated == {("pod1-spine1", "isolated", 0), ("pod2-spine1", "isolated", 0)}
    assert {row.superspines_after for row in result.servers_losing_redundancy} == {1}


def test_a_pod_spine_costs_only_its_pods_servers_their_redundancy(graph: Graph, lab5: str) -> None:
    result = impact(graph, lab5, "system", "pod1-spine1")
    assert _ids(result.servers_losing_redundancy) == POD1_SERVERS
    assert not result.servers_losing_connectivity


def test_a_cut_superspine_link_makes_the_spine_useless_to_its_leafs(
    graph: Graph, lab5: str
) -> None:
    link = "superspine1:swp1--pod1-spine1:swp1"
    result = impact(graph, lab5, "link", link)
    assert {s.id for s in result.systems} >= {"pod1-spine1", "rack1-leaf1", "rack1-leaf2"}
    assert _ids(result.servers_losing_redundancy) == POD1_SERVERS
    assert {s.id: s.effect for s in result.bgp_sessions} == {"superspine1--pod1-spine1": "down"}


def test_a_pod_failing_disconnects_its_servers_only(graph: Graph, lab5: str) -> None:
    result = impact(graph, lab5, "pod", "pod1")
    assert _ids(result.servers_losing_connectivity) == POD1_SERVERS
    assert not result.servers_losing_redundancy
    assert {s.id for s in result.systems if s.effect == "down"} == {
        "pod1-spine1",
        "pod1-spine2",
        "rack1-leaf1",
        "rack1-leaf2",
    }


def test_one_superspine_of_a_two_superspine_plane_costs_nobody_redundancy(
    graph: Graph, medium5: str
) -> None:
    result = impact(graph, medium5, "system", "superspine1")
    assert not result.servers_losing_redundancy and not result.servers_losing_connectivity
    assert {s.effect for s in result.systems if s.role == "spine"} == {"fewer_uplinks"}


SUPERSPINE_LINKS = Query(
    "test.impact5_superspine_links",
    """
    MATCH (:System {uid: $bp + '/' + $spine})-[:HAS_INTERFACE]->(:Interface)
          <-[:ENDPOINT]-(l:Link {role: 'superspine_spine'})
    RETURN l.id AS link,
           COLLECT { MATCH (l)-[:ENDPOINT]->(:Interface)-[:HAS_TRANSCEIVER]->(x:Transceiver)
                     RETURN x.id } AS transceivers
    ORDER BY link
    """,
)


def test_a_cut_superspine_link_of_a_spine_keeping_another_costs_no_server_anything(
    graph: Graph, medium5: str
) -> None:
    """medium5: pod1-spine1 has a link to each of the 2 superspines of plane 1; one cut
    (or one of its transceivers failing) leaves it one, and every leaf below it still
    reaches 2 spines and 3 superspines: the spine has fewer uplinks, its session over
    that link goes down, no leaf and no server loses anything."""
    rows = graph.read(SUPERSPINE_LINKS, bp=medium5, spine="pod1-spine1")
    assert len(rows) == 2 and all(len(r["transceivers"]) == 2 for r in rows)
    for row in rows:
        superspine = row["link"].split(":")[0]
        for kind, element in [("link", row["link"])] + [
            ("transceiver", x) for x in row["transceivers"]
        ]:
            result = impact(graph, medium5, kind, element)
            assert [
                (s.id, s.effect, s.uplinks_before, s.uplinks_after) for s in result.systems
            ] == [("pod1-spine1", "fewer_uplinks", 2, 1)], element
            assert {s.id: s.effect for s in result.bgp_sessions} == {
                f"{superspine}--pod1-spine1": "down"
            }
            assert [x.id for x in result.links] == [row["link"]]
            assert not result.servers_losing_redundancy, element
            assert not result.servers_losing_connectivity, element
            assert not result.virtual_networks


SUPERSPINE_ELEMENTS = Query(
    "test.impact5_superspine_elements",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(s:System {role: 'superspine'})
    RETURN collect(s.id) AS superspines,
           collect(DISTINCT 'plane' + toString(s.plane)) AS planes,
           COLLECT { MATCH (l:Link {blueprint: $bp, role: 'superspine_spine'})
                     RETURN l.id } AS links
    """,
)


@pytest.mark.parametrize("fabric", ["lab5", "medium5"])
def test_leaving_out_the_servers_below_a_superspine_gives_the_answer_reading_them_gives(
    graph: Graph, fabric: str, request: Any, monkeypatch: Any
) -> None:
    """Every superspine link, superspine and plane, failed and (switches) drained: the
    same answer as when every server below is read and assessed."""
    bp = request.getfixturevalue(fabric)
    row = graph.read(SUPERSPINE_ELEMENTS, bp=bp)[0]
    cases: list[tuple[str, str, str | None]] = [("link", x, None) for x in row["links"]]
    cases += [("system", x, mode) for x in row["superspines"] for mode in (None, "drain")]
    cases += [("plane", x, mode) for x in row["planes"] for mode in (None, "undeploy")]

    def answers() -> list[Any]:
        return [
            impact(graph, bp, kind, x) if mode is None else what_if(graph, bp, x, mode)
            for kind, x, mode in cases
        ]

    left_out = answers()
    monkeypatch.setattr(query, "unlisted_servers_keep_their_state", lambda hood: False)
    assert left_out == answers()


def test_draining_a_plane_withdraws_its_sessions_and_costs_every_server_redundancy(
    graph: Graph, medium5: str
) -> None:
    """medium5: 4 pods of 2 spines (one per plane), 16 leafs and 32 servers each."""
    result = what_if(graph, medium5, "plane1", "drain")
    assert {s.id for s in result.systems if s.effect == "drained"} == {
        "superspine1",
        "superspine2",
    }
    assert {s.effect for s in result.bgp_sessions} == {"withdrawn"}
    assert len(result.bgp_sessions) == 2 * 4  # each superspine: one session per pod's spine
    assert len(result.servers_losing_redundancy) == 4 * 32
    assert not result.servers_losing_connectivity


def test_an_unknown_plane_or_pod_names_the_ones_there_are(graph: Graph, lab5: str) -> None:
    with pytest.raises(NotFoundError) as err:
        impact(graph, lab5, "plane", "plane9")
    assert "'plane1', 'plane2'" in str(err.value.allowed)
    with pytest.raises(NotFoundError) as err:
        impact(graph, lab5, "pod", "pod9")
    assert "'pod1', 'pod2'" in str(err.value.allowed)
