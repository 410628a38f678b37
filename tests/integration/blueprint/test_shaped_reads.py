"""Blueprint lists read in the client's shape answer exactly what the general path
answers: the same bytes for the same document, errors and nulls included.

Two API instances run side by side against one graph: one with shaped reads
(the default), one with them off (``FG_GRAPHQL_SHAPED=0``: every field resolved
by graphql-core). Each document below goes to both::

    query ──► shaped:  one statement per list level, rows zipped into maps
          └─► general: level reads + graphql-core completion per field
                       same bytes?
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings

pytestmark = pytest.mark.integration

PEER = """
query($n: String!, $k: Int!) { blueprint(name: $n) {
  systems(role: "leaf", first: $k) { hostname interfaces { name speedMbps enabled intent ipv4
    link { id aEnd { name system { hostname } } bEnd { name system { hostname } } } } } } }
"""
EVERY_FIELD = """
query($n: String!) { blueprint(name: $n) {
  systems(first: 40) { __typename id hostname role rack asn loopback deviceProfile
    logicalDevice deployMode cursor
    interfaces { __typename id name speedMbps ipv4 transceiver breakouts cabled enabled
      intent cursor system { id hostname cursor }
      link { __typename id role speedMbps subnet a b cursor
        aEnd { id name link { id } system { id rack } } bEnd { id ipv4 } } } } } }
"""
ALIASES_AND_FRAGMENTS = """
fragment End on Interface { port: name host: system { n: hostname } }
query($n: String!, $yes: Boolean!, $no: Boolean!) { blueprint(name: $n) {
  leafs: systems(role: "leaf", first: 5, after: "rack000000000002") {
    name: hostname
    first3: interfaces(first: 3) { name ... on Interface { speed: speedMbps } }
    rest: interfaces(first: 4, after: "swp000000000050") { name @include(if: $yes)
      ipv4 @skip(if: $yes) link @include(if: $no) { id } }
    interfaces(first: 2) { link { id aEnd { ...End } bEnd { ...End name } } } }
  spines: systems(role: "spine") { hostname name: hostname } } }
"""
LINKS = """
query($n: String!, $after: String) { blueprint(name: $n) {
  links(role: "spine_leaf", first: 9, after: $after) { id cursor a b role
    aEnd { name enabled system { hostname role } link { id } }
    bEnd { name cabled intent system { hostname } } } } }
"""
OLD = """
query($n: String!) { blueprint(name: $n) {
  systems(limit: 50, offset: 3) { id hostname role interfaces { name ipv4 speedMbps
    link { id role subnet a b } } } } }
"""
# shapes the shaped read does not cover: the general path answers both
UNPLANNED = """
query($n: String!) { blueprint(name: $n) {
  systems(role: "leaf", first: 2) { id interfaces(first: 2) { name
    system { id interfaces(first: 1) { name } } } } } }
"""
DOCUMENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "peer": (PEER, {"k": 32}),
    "peer-1": (PEER, {"k": 1}),
    "every-field": (EVERY_FIELD, {}),
    "aliases-fragments-directives": (ALIASES_AND_FRAGMENTS, {"yes": True, "no": False}),
    "links": (LINKS, {"after": None}),
    "links-after": (LINKS, {"after": "spine000000000002"}),
    "old-query": (OLD, {}),
    "unplanned": (UNPLANNED, {}),
}


@pytest.fixture(scope="module")
def clients(settings: Settings) -> Iterator[tuple[TestClient, TestClient]]:
    shaped = create_app(settings.model_copy(update={"graphql_shaped": True}))
    general = create_app(settings.model_copy(update={"graphql_shaped": False}))
    with TestClient(shaped) as a, TestClient(general) as b:
        yield a, b


@pytest.fixture(scope="module")
def medium(graph: Graph) -> Iterator[str]:
    bps = Blueprints(graph)
    name = f"t-shaped-{uuid.uuid4().hex[:8]}"
    bps.create(name, "medium")
    yield name
    bps.delete(name)


def _post(client: TestClient, query: str, **variables: Any) -> tuple[bytes, dict[str, int]]:
    stats = client.app.state.graph.stats  # type: ignore[attr-defined]
    before = dict(stats.calls)
    response = client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    calls = {k: v - before.get(k, 0) for k, v in stats.calls.items() if v != before.get(k, 0)}
    return response.content, calls


def _both(
    clients: tuple[TestClient, TestClient], query: str, **variables: Any
) -> tuple[bytes, dict[str, int]]:
    shaped, general = clients
    answer, calls = _post(shaped, query, **variables)
    expected, general_calls = _post(general, query, **variables)
    assert not any(name.startswith("reads.shaped") for name in general_calls)
    assert answer == expected
    return answer, calls


@pytest.mark.parametrize("document", sorted(DOCUMENTS))
def test_a_shaped_read_answers_the_same_bytes_as_the_general_path(
    clients: tuple[TestClient, TestClient], medium: str, document: str
) -> None:
    query, variables = DOCUMENTS[document]
    answer, calls = _both(clients, query, n=medium, **variables)
    assert b'"errors"' not in answer
    assert answer.count(b"{") > 3  # something was read
    shaped = {name for name in calls if name.startswith("reads.shaped")}
    if document == "unplanned":
        assert not shaped, calls
    else:
        assert shaped, calls


def test_the_general_path_too_reads_one_statement_per_level_whatever_the_page(
    clients: tuple[TestClient, TestClient], medium: str
) -> None:
    for page in (1, 7, 32):
        _, calls = _post(clients[1], PEER, n=medium, k=page)
        assert calls == {
            "blueprint.summary": 1,  # the blueprint
            "reads.systems": 1,  # its systems
            "reads.interfaces_of_systems": 1,  # their ports
            "reads.links_by_uid": 1,  # the ports' links
            "reads.interfaces_by_uid": 1,  # the links' far ends not read yet
            "reads.systems_by_uid": 1,  # the far ends' systems not read yet
        }


def test_a_staged_view_reads_the_same_in_both_paths(
    clients: tuple[TestClient, TestClient], blueprints: Blueprints, medium: str
) -> None:
    version = blueprints.staging.version(medium)
    blueprints.staging.stage(
        medium,
        {"kind": "remove_rack", "params": {"rack": "rack1"}},
        base_version=version,
        author="t",
    )
    try:
        query = PEER.replace("blueprint(name: $n)", "blueprint(name: $n, view: STAGED)")
        answer, calls = _both(clients, query, n=medium, k=6)
        assert b"rack1-leaf1" not in answer and b"rack2-leaf1" in answer
        assert "reads.shaped.systems" in calls
    finally:
        blueprints.staging.discard(medium, base_version=blueprints.staging.version(medium))


# what is spoilt -> (the write, whether the general path answers errors for it)
SPOIL = {
    "a null in a non-null field": ("SET i.speed_mbps = null", True),
    "a float for an integer": ("SET i.speed_mbps = 2.5", True),  # Int's error
    "a port name of another type": ("SET i.name = 7", True),  # ports sort by name
    "a value its scalar coerces": ("SET i.ipv4 = 7", False),  # String: "7"
    "a list of another item type": ("SET i.breakouts = [1, 2]", False),
    "a link without its far end": ("MATCH (i)<-[e:ENDPOINT]-(:Link) DELETE e", False),
}
SPOIL_ONE = "MATCH (i:Interface {uid: $uid}) "


@pytest.mark.parametrize("spoilt", sorted(SPOIL))
def test_a_value_that_does_not_fit_its_type_gives_the_general_paths_errors(
    clients: tuple[TestClient, TestClient],
    graph: Graph,
    make_blueprint: Callable[[str], str],
    spoilt: str,
) -> None:
    bp = make_blueprint("lab")
    write, errors = SPOIL[spoilt]
    graph.write(Query("test.spoil", SPOIL_ONE + write), uid=f"{bp}/rack1-leaf1:swp1")
    query = EVERY_FIELD.replace("first: 40", 'role: "leaf", first: 2')
    answer, calls = _both(clients, query, n=bp)
    assert (b'"errors"' in answer) == errors  # the general path's errors, with paths
    assert "reads.shaped.systems" in calls  # tried first
    _, calls = _both(clients, LINKS, n=bp, after=None)  # the same bytes here too
    assert "reads.shaped.links" in calls


TAGGED = """
query($n: String!) { blueprint(name: $n) {
  systems(tag: "edge", first: 10) { id tags interfaces(tag: "uplink") { name tags } }
  all: systems(first: 3) { id interfaces(tag: "uplink", first: 5) { name } }
  links(tag: "edge") { id tags } } }
"""
TAG = Query(
    "test.shaped.tag",
    """
    MATCH (s:System {uid: $bp + '/' + $system})
    SET s.tags = ['edge']
    WITH s
    MATCH (s)-[:HAS_INTERFACE]->(i:Interface)<-[:ENDPOINT]-(l:Link)
    WITH i, l ORDER BY i.name LIMIT 1
    SET i.tags = ['uplink'], l.tags = ['edge']
    RETURN i.name AS port, l.id AS link
    """,
)


def test_tag_filters_read_the_same_in_both_paths(
    clients: tuple[TestClient, TestClient], medium: str, graph: Graph
) -> None:
    [tagged] = graph.write(TAG, bp=medium, system="spine1")
    answer, _ = _both(clients, TAGGED, n=medium)
    data = json.loads(answer)["data"]["blueprint"]
    assert [s["id"] for s in data["systems"]] == ["spine1"]
    assert [i["name"] for i in data["systems"][0]["interfaces"]] == [tagged["port"]]
    assert [lk["id"] for lk in data["links"]] == [tagged["link"]]
