"""The 5-stage redundancy rule on a hand-drawn pod (pure, no graph)::

ssA (plane 1)   ssB (plane 2)
  | uA            | uB
sp1             sp2                 one pod: two spines, one per plane
  | l1   \\ l2  / | l3   l4
leaf1          leaf2
   \\ a1       / a2
    server                          dual-homed
"""

from __future__ import annotations

from dataclasses import replace

from blueprint_engine.impact.model import (
    Attachment,
    ElementKind,
    FabricState,
    LeafNode,
    LinkNode,
    Neighbourhood,
    ServerNode,
    SpineUplink,
    Uplink,
    assess,
    unlisted_servers_keep_their_state,
)


def _hood(ss_b_in_service: bool = True) -> Neighbourhood:
    up1 = (SpineUplink("uA", "ssA"),)
    up2 = (SpineUplink("uB", "ssB", ss_b_in_service),)
    leaf1 = LeafNode(
        "leaf1", "rack1", (Uplink("l1", "sp1", True, up1), Uplink("l2", "sp2", True, up2))
    )
    leaf2 = LeafNode(
        "leaf2", "rack1", (Uplink("l3", "sp1", True, up1), Uplink("l4", "sp2", True, up2))
    )
    server = ServerNode("server", "rack1", (Attachment("a1", "leaf1"), Attachment("a2", "leaf2")))
    return Neighbourhood(
        "bp", ElementKind.SYSTEM, "x", leafs={"leaf1": leaf1, "leaf2": leaf2}, servers=(server,)
    )


def test_two_leafs_two_spines_and_two_superspines_make_a_server_redundant() -> None:
    hood = _hood()
    state = FabricState(hood, (), ())
    assert state.redundant(hood.servers[0])
    assert state.server_superspines(hood.servers[0]) == {"ssA", "ssB"}


def test_a_spine_whose_superspine_link_is_down_carries_nothing_out_of_the_pod() -> None:
    hood = _hood()
    state = FabricState(hood, ("uA",), ())
    assert state.spines("leaf1") == {"sp2"}
    assert not state.redundant(hood.servers[0])
    assert state.server_leafs(hood.servers[0]) == ("leaf1", "leaf2")  # still connected


def test_a_drained_superspine_leaves_one_plane_and_no_redundancy() -> None:
    hood = _hood(ss_b_in_service=False)
    state = FabricState(hood, (), ())
    assert state.server_superspines(hood.servers[0]) == {"ssA"}
    assert not state.redundant(hood.servers[0])


def test_every_superspine_lost_disconnects_the_server_from_the_other_pods() -> None:
    hood = _hood()
    state = FabricState(hood, (), ("ssA", "ssB"))
    assert state.server_leafs(hood.servers[0]) == ()


def _two_per_plane(ss_b_in_service: bool = True, down: tuple[str, ...] = ()) -> Neighbourhood:
    """The pod above with two superspines per plane (uA1, uA2 from sp1; uB1, uB2 from
    sp2), the links in ``down`` failing; the leafs only (their servers left out)."""
    up1 = (SpineUplink("uA1", "ssA1"), SpineUplink("uA2", "ssA2"))
    up2 = (SpineUplink("uB1", "ssB1", ss_b_in_service), SpineUplink("uB2", "ssB2", ss_b_in_service))
    leafs = {
        name: LeafNode(
            name,
            "rack1",
            (Uplink(f"{name}-1", "sp1", True, up1), Uplink(f"{name}-2", "sp2", True, up2)),
        )
        for name in ("leaf1", "leaf2")
    }
    links = tuple(LinkNode(link, "superspine_spine", "x", "y", "ss", "sp") for link in down)
    return Neighbourhood("bp", ElementKind.LINK, "x", links=links, leafs=leafs)


def test_a_superspine_link_of_a_spine_keeping_another_changes_no_server_below() -> None:
    assert unlisted_servers_keep_their_state(_two_per_plane(down=("uA1",)))


def test_a_spine_left_without_superspines_needs_its_servers_read() -> None:
    assert not unlisted_servers_keep_their_state(_two_per_plane(down=("uA1", "uA2")))


def test_a_leaf_left_with_one_superspine_needs_its_servers_read() -> None:
    """Plane 2 drained: the leafs reach ssA1 and ssA2 only; a cut uA1 leaves one."""
    assert unlisted_servers_keep_their_state(_two_per_plane(ss_b_in_service=False))
    assert not unlisted_servers_keep_their_state(
        _two_per_plane(ss_b_in_service=False, down=("uA1",))
    )


def test_servers_left_out_give_the_same_answer_as_servers_read() -> None:
    """What the rules say with the server of the drawing and without it."""
    with_server = _two_per_plane(down=("uA1",))
    server = ServerNode("server", "rack1", (Attachment("a1", "leaf1"), Attachment("a2", "leaf2")))
    full = assess(replace(with_server, servers=(server,)))
    assert full == assess(with_server)
    assert not full.servers_losing_redundancy and not full.servers_losing_connectivity
    assert [(s.id, s.effect, s.uplinks_before, s.uplinks_after) for s in full.systems] == [
        ("sp1", "fewer_uplinks", 2, 1)
    ]
