"""GraphQL reads of the STAGED blueprint: pending edits show there, never in active.

The `lab-evpn` blueprint (racks 1-2 single-leaf, rack 3 a leaf pair), then staged:

      spine1 ---------------- spine2
       |  swp1 -> swp8  (re-cabled uplink spine1:swp1--rack1-leaf1:swp1)
      rack1 .. rack3, + rack4 (lab-single-leaf), + virtual network "app" on rack1

Expectations come from the fixture YAML (rack type sizes, spine count, overlay).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from blueprint_engine.blueprints import DEFAULT_CATALOGUE, Blueprints
from blueprint_engine.errors import ConflictError
from blueprint_engine.graph.db import Graph
from blueprint_engine.reads import SYSTEMS, rows, rows_in
from tests.integration import api_calls
from tests.integration.api_calls import ADMIN, OPERATOR

pytestmark = pytest.mark.integration

UPLINK = "spine1:swp1--rack1-leaf1:swp1"
VIEW = """
query($n: String!, $v: View!) { blueprint(name: $n, view: $v) {
  view leafs linksCount bgpSessionsCount
  systems(limit: 1000) { id role interfaces { name link { id a b } } }
  links(limit: 1000) { id a b }
  bgpSessions(limit: 1000) { id afi a b }
  virtualNetworks { id racks routingZone }
} }
"""


def catalogue_entry(kind: str, name: str) -> dict[str, Any]:
    data = yaml.safe_load((Path(DEFAULT_CATALOGUE) / f"{kind}.yaml").read_text())
    entry: dict[str, Any] = next(e for e in data[kind] if e["name"] == name)
    return entry


def gql(
    client: TestClient, query: str, headers: dict[str, str] | None = None, **variables: Any
) -> dict[str, Any]:
    body = api_calls.gql(client, query, headers, **variables)
    assert "errors" not in body, body["errors"]
    return body


@pytest.fixture
def evpn(client: TestClient) -> Iterator[str]:
    name = f"t-staged-{uuid.uuid4().hex[:8]}"
    gql(
        client,
        'mutation($n: String!) { createBlueprint(name: $n, template: "lab-evpn") { name } }',
        OPERATOR,
        n=name,
    )
    yield name
    gql(client, "mutation($n: String!) { deleteBlueprint(name: $n) }", ADMIN, n=name)


def read(client: TestClient, bp: str, view: str) -> dict[str, Any]:
    data: dict[str, Any] = gql(client, VIEW, n=bp, v=view)["data"]["blueprint"]
    data.pop("view")
    return data


def stage_edits(client: TestClient, bp: str) -> int:
    """Re-cable an uplink, add a single-leaf rack, add a virtual network on rack1."""
    edits = [
        f'recableLink(blueprint: $n, baseVersion: 0, link: "{UPLINK}", side: "a", '
        'interface: "spine1:swp8")',
        'addRack(blueprint: $n, baseVersion: 1, rackType: "lab-single-leaf")',
        'addVirtualNetwork(blueprint: $n, baseVersion: 2, name: "app", racks: ["rack1"], '
        'routingZone: "blue")',
    ]
    version = 0
    for edit in edits:
        body = gql(
            client, f"mutation($n: String!) {{ {edit} {{ stagedVersion }} }}", OPERATOR, n=bp
        )
        version = next(iter(body["data"].values()))["stagedVersion"]
    return version


def test_staged_reads_show_pending_edits_and_active_reads_do_not_until_commit(
    client: TestClient, evpn: str
) -> None:
    template = catalogue_entry("templates", "lab-evpn")
    rack_type = catalogue_entry("rack_types", "lab-single-leaf")
    spines = template["spines"]["count"]
    new_leafs = 1 if rack_type["leafs"] == "single" else 2
    new_servers = rack_type["servers"]["count"]
    racks = sum(r["count"] for r in template["racks"])
    sessions_per_leaf = spines * (2 if template["overlay"] == "evpn" else 1)

    before = read(client, evpn, "ACTIVE")
    version = stage_edits(client, evpn)
    active, staged = read(client, evpn, "ACTIVE"), read(client, evpn, "STAGED")
    assert active == before  # staging never touches active

    links = {
        view: {x["id"]: x for x in data["links"]}
        for view, data in (("active", active), ("staged", staged))
    }
    assert links["active"][UPLINK]["a"] == "spine1:swp1"
    assert links["staged"][UPLINK]["a"] == "spine1:swp8"
    spine1 = {
        view: next(s for s in data["systems"] if s["id"] == "spine1")["interfaces"]
        for view, data in (("active", active), ("staged", staged))
    }
    staged_ports = {i["name"]: i["link"] for i in spine1["staged"]}
    assert staged_ports["swp8"]["id"] == UPLINK  # nested levels read the staged view too
    assert "swp8" not in {i["name"] for i in spine1["active"] if i["link"]}

    new_rack = f"rack{racks + 1}"
    added = {s["id"] for s in staged["systems"]} - {s["id"] for s in active["systems"]}
    assert len(added) == new_leafs + new_servers
    assert all(system.startswith(f"{new_rack}-") for system in added)
    assert staged["leafs"] == active["leafs"] + new_leafs
    assert len(staged["bgpSessions"]) - len(active["bgpSessions"]) == sessions_per_leaf * new_leafs
    assert staged["bgpSessionsCount"] == len(staged["bgpSessions"])
    networks = {
        view: {v["id"]: v for v in data["virtualNetworks"]}
        for view, data in (("active", active), ("staged", staged))
    }
    assert set(networks["staged"]) - set(networks["active"]) == {"app"}
    assert (networks["staged"]["app"]["racks"], networks["staged"]["app"]["routingZone"]) == (
        ["rack1"],
        "blue",
    )

    gql(
        client,
        "mutation($n: String!, $v: Int!) { commit(blueprint: $n, baseVersion: $v, "
        'message: "three edits") { number } }',
        OPERATOR,
        n=evpn,
        v=version,
    )
    assert read(client, evpn, "ACTIVE") == read(client, evpn, "STAGED") == staged
    new_leaf = min(s for s in added if "leaf" in s)
    stored = gql(
        client,
        "query($n: String!, $s: String!) { blueprint(name: $n) { revisions "
        '{ devices } config(system: $s, stage: "incremental") { text } } }',
        n=evpn,
        s=new_leaf,
    )["data"]["blueprint"]
    assert {"spine1", new_leaf} <= set(stored["revisions"][-1]["devices"])
    assert stored["config"]["text"]  # the commit stored the new leaf's incremental config


NESTED = """
query($n: String!) { blueprint(name: $n, view: STAGED) {
  systems(limit: 500) { id interfaces { name link { id } } } } }
"""


def test_a_nested_staged_read_opens_one_staged_view_per_level_not_per_row(
    client: TestClient, evpn: str
) -> None:
    stage_edits(client, evpn)
    stats = client.app.state.graph.stats  # type: ignore[attr-defined]
    before = dict(stats.calls)
    systems = gql(client, NESTED, n=evpn)["data"]["blueprint"]["systems"]
    assert len(systems) > 10
    calls = {k: v - before.get(k, 0) for k, v in stats.calls.items() if v != before.get(k, 0)}
    # the blueprint, then two list levels (systems; their interfaces with their links,
    # read in the selected shape): one read each; the levels below the blueprint are
    # read together in one staged view (one snapshot)
    assert calls["staging.changes"] == 2
    assert calls["blueprint.summary"] == 1
    assert calls["reads.shaped.systems"] == 1
    assert calls["reads.shaped.interfaces_of_systems"] == 1
    assert not any(name.startswith("reads.") and "shaped" not in name for name in calls)


def test_a_staged_read_pinned_to_an_older_version_is_a_conflict(
    client: TestClient, evpn: str, graph: Graph
) -> None:
    version = stage_edits(client, evpn)
    staging = Blueprints(graph).staging
    page = {
        "role": "leaf",
        "rack": None,
        "name": None,
        "tag": None,
        "offset": 0,
        "limit": 100,
        "after": None,
    }

    def leafs(tx: Any) -> list[str]:
        return [r["id"] for r in rows_in(graph, tx, SYSTEMS, bp=evpn, **page)]

    active = [r["id"] for r in rows(graph, SYSTEMS, bp=evpn, **page)]
    assert len(staging.read_staged(evpn, leafs, version)) == len(active) + 1  # one new leaf
    with pytest.raises(ConflictError) as stale:
        staging.read_staged(evpn, leafs, version - 1)
    assert f"it is now at version {version}" in stale.value.message


def test_a_staged_read_of_an_unknown_blueprint_is_not_found(client: TestClient) -> None:
    body = client.post(
        "/graphql", json={"query": '{ blueprint(name: "no-such-bp", view: STAGED) { leafs } }'}
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "not_found"
