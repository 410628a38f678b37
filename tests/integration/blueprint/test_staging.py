"""Staged and active: edits touch only the staged view until commit; revisions roll back.

The `lab` blueprint:

      spine1          spine2
       | \\  \\  \\    / / / |
      rack1-leaf1  rack2-leaf1  rack3-leaf1  rack3-leaf2
         |            |             \\   /  \\  /
      rack1-server1  rack2-server1  rack3-server1 rack3-server2
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.errors import BuildError, ConflictError, FabricError, PoolExhaustedError
from blueprint_engine.graph.db import Graph, Query

pytestmark = pytest.mark.integration

LINK_ENDS = Query(
    "test.link_ends",
    """
    MATCH (l:Link {uid: $bp + '/' + $link})-[e:ENDPOINT]->(i:Interface)
    RETURN e.side AS side, i.id AS interface ORDER BY side
    """,
)
COUNTS = Query(
    "test.counts",
    """
    MATCH (n {blueprint: $bp})
    RETURN labels(n)[0] AS label, count(*) AS n ORDER BY label
    """,
)
SPINE1_LINK = "spine1:swp1--rack1-leaf1:swp1"


def ends(graph: Graph, bp: str, link: str, tx: Any = None) -> dict[str, str]:
    rows = (
        graph.run(tx, LINK_ENDS, bp=bp, link=link)
        if tx
        else graph.read(LINK_ENDS, bp=bp, link=link)
    )
    return {r["side"]: r["interface"] for r in rows}


def snapshot(graph: Graph, bp: str) -> dict[str, int]:
    return {r["label"]: r["n"] for r in graph.read(COUNTS, bp=bp)}


def test_recabling_in_staged_leaves_active_untouched_until_commit(
    make_blueprint: Any, blueprints: Blueprints, graph: Graph
) -> None:
    bp = make_blueprint("lab")
    staging = blueprints.staging
    edit: dict[str, Any] = {
        "kind": "recable_link",
        "params": {"link": SPINE1_LINK, "side": "a", "interface": "spine1:swp8"},
    }
    version = staging.stage(bp, edit, base_version=0, author="alice")
    assert ends(graph, bp, SPINE1_LINK)["a"] == "spine1:swp1"  # active unchanged
    assert (
        staging.read_staged(bp, lambda tx: ends(graph, bp, SPINE1_LINK, tx))["a"] == "spine1:swp8"
    )
    assert staging.diff(bp) == [
        {
            "change": "modified",
            "kind": "Link",
            "id": SPINE1_LINK,
            "field": "endpoint_a",
            "before": "spine1:swp1",
            "after": "spine1:swp8",
        }
    ]
    revision = staging.commit(bp, base_version=version, author="alice", message="move uplink")
    assert (revision.number, revision.author, revision.message) == (1, "alice", "move uplink")
    assert ends(graph, bp, SPINE1_LINK)["a"] == "spine1:swp8"
    assert staging.changes(bp) == []


def test_commit_then_rollback_round_trips_the_graph(
    make_blueprint: Any, blueprints: Blueprints, graph: Graph
) -> None:
    bp = make_blueprint("lab")
    staging = blueprints.staging
    original = snapshot(graph, bp)
    v = staging.stage(
        bp,
        {"kind": "add_rack", "params": {"rack_type": "lab-leaf-pair"}},
        base_version=0,
        author="alice",
    )
    v = staging.stage(
        bp, {"kind": "remove_rack", "params": {"rack": "rack1"}}, base_version=v, author="alice"
    )
    staging.commit(bp, base_version=v, author="alice", message="swap racks")
    changed = snapshot(graph, bp)
    assert changed != original
    assert blueprints.summary(bp)["leafs"] == 4 - 1 + 2
    head = blueprints.summary(bp)["staged_version"]
    v = staging.rollback(bp, 0, base_version=head, author="bob")
    staging.commit(bp, base_version=v, author="bob", message="roll back to the template")
    assert snapshot(graph, bp) == {**original, "Revision": 2}
    assert [r.number for r in staging.revisions(bp)] == [1, 2]
    entries = staging.diff_between(bp, 0, 1)
    assert {"change": "removed", "kind": "Rack", "id": "rack1"} in entries
    assert {"change": "added", "kind": "Rack", "id": "rack4"} in entries
    assert staging.diff_between(bp, 0, 2) == []  # rolled back: nothing differs


def test_two_edits_based_on_the_same_version_one_wins_one_gets_a_conflict(
    make_blueprint: Any, blueprints: Blueprints
) -> None:
    bp = make_blueprint("lab")
    results: list[object] = []
    barrier = threading.Barrier(2)

    def edit(hostname: str) -> None:
        barrier.wait()
        try:
            results.append(
                blueprints.staging.stage(
                    bp,
                    {
                        "kind": "set_property",
                        "params": {
                            "kind": "System",
                            "id": "spine1",
                            "key": "hostname",
                            "value": hostname,
                        },
                    },
                    base_version=0,
                    author=hostname,
                )
            )
        except ConflictError as exc:
            results.append(exc)

    threads = [threading.Thread(target=edit, args=(h,)) for h in ("sp-a", "sp-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conflicts = [r for r in results if isinstance(r, ConflictError)]
    assert len(conflicts) == 1 and results.count(1) == 1
    assert "staged version 0" in conflicts[0].message and "base_version=1" in conflicts[0].allowed
    assert len(blueprints.staging.changes(bp)) == 1  # the winner's edit is kept


def test_an_exhausted_pool_names_the_pool_and_leaves_the_graph_unchanged(
    make_blueprint: Any, blueprints: Blueprints, graph: Graph
) -> None:
    bp = make_blueprint("lab-evpn")
    before = snapshot(graph, bp)
    version = 0
    with pytest.raises(PoolExhaustedError) as err:
        # lab-evpn's ipv4-vn pool holds four /16s in a /14; "web" and "db" hold two
        for n in range(3):
            version = blueprints.staging.stage(
                bp,
                {"kind": "add_virtual_network", "params": {"name": f"vn{n}", "racks": ["rack3"]}},
                base_version=version,
                author="alice",
            )
    assert "ipv4-vn" in err.value.message
    assert version == 2
    assert snapshot(graph, bp) == {**before, "StagedChange": 2}


def test_a_rack_that_needs_more_spine_ports_than_exist_is_refused_by_name(
    make_blueprint: Any, blueprints: Blueprints, graph: Graph
) -> None:
    bp = make_blueprint("lab")  # lab spines have 8 ports; the lab uses 4 of them
    before = snapshot(graph, bp)
    version = 0
    with pytest.raises(FabricError) as err:
        for _ in range(3):
            version = blueprints.staging.stage(
                bp,
                {"kind": "add_rack", "params": {"rack_type": "lab-leaf-pair"}},
                base_version=version,
                author="alice",
            )
    assert "spine1 has no free leaf-facing port" in err.value.message
    assert snapshot(graph, bp) == {**before, "StagedChange": 2}


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            {
                "kind": "set_property",
                "params": {"kind": "System", "id": "spine2", "key": "hostname", "value": "spine1"},
            },
            "duplicate hostname spine1 on spine1, spine2",
        ),
        (
            {
                "kind": "set_property",
                "params": {
                    "kind": "Interface",
                    "id": "spine1:swp1",
                    "key": "speed_mbps",
                    "value": 1000,
                },
            },
            "speed mismatch on link spine1:swp1--rack1-leaf1:swp1",
        ),
        ({"kind": "remove_rack", "params": {"rack": "rack2"}}, None),
    ],
)
def test_build_errors_block_the_commit_and_leave_active_unchanged(
    make_blueprint: Any,
    blueprints: Blueprints,
    graph: Graph,
    edit: dict[str, Any],
    problem: str | None,
) -> None:
    bp = make_blueprint("lab")
    version = blueprints.staging.stage(bp, edit, base_version=0, author="alice")
    before = snapshot(graph, bp)
    if problem is None:  # a valid edit commits
        blueprints.staging.commit(bp, base_version=version, author="alice", message="ok")
        return
    assert any(p.startswith(problem) for p in blueprints.staging.build_errors(bp))
    with pytest.raises(BuildError) as err:
        blueprints.staging.commit(bp, base_version=version, author="alice", message="bad")
    assert any(p.startswith(problem) for p in err.value.problems)
    assert snapshot(graph, bp) == before


def test_removing_a_spine_link_end_leaves_a_dangling_link_error(
    make_blueprint: Any, blueprints: Blueprints
) -> None:
    bp = make_blueprint("lab")
    edit: dict[str, Any] = {
        "kind": "recable_link",
        "params": {"link": SPINE1_LINK, "side": "b", "interface": "rack1-leaf1:swp1"},
    }
    with pytest.raises(FabricError):  # re-cabling onto itself: already cabled by this link
        blueprints.staging.stage(
            bp,
            {**edit, "params": {**edit["params"], "interface": "spine2:swp1"}},
            base_version=0,
            author="alice",
        )
    assert blueprints.staging.changes(bp) == []


def test_an_unknown_edit_kind_is_refused_with_the_allowed_kinds(
    make_blueprint: Any, blueprints: Blueprints
) -> None:
    bp = make_blueprint("lab")
    with pytest.raises(FabricError) as err:
        blueprints.staging.stage(
            bp, {"kind": "explode", "params": {}}, base_version=0, author="alice"
        )
    assert "add_rack" in err.value.allowed


def test_commit_stores_incremental_configs_for_exactly_the_touched_switches(
    make_blueprint: Any, blueprints: Blueprints
) -> None:
    """Removing VN "web" (VLAN 100, bound to rack1 and rack2) touches only their leafs."""
    bp = make_blueprint("lab-evpn")
    version = blueprints.staging.stage(
        bp,
        {"kind": "remove_virtual_network", "params": {"name": "web"}},
        base_version=0,
        author="alice",
    )
    preview = blueprints.incremental_preview(bp)
    assert sorted(preview) == ["rack1-leaf1", "rack2-leaf1"]
    assert all("-" in delta and "vlan100" in delta for delta in preview.values())
    revision = blueprints.commit(bp, base_version=version, author="alice", message="drop web")
    assert revision.devices == ["rack1-leaf1", "rack2-leaf1"]
    stored = blueprints.config(bp, "rack1-leaf1", "incremental")
    assert stored == preview["rack1-leaf1"]
    assert "vlan100" not in (blueprints.config(bp, "rack1-leaf1", "rendered") or "vlan100")
    assert blueprints.config(bp, "spine1", "incremental") is None
