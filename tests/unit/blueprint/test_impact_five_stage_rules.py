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

from blueprint_engine.impact.model import (
    Attachment,
    ElementKind,
    FabricState,
    LeafNode,
    Neighbourhood,
    ServerNode,
    SpineUplink,
    Uplink,
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
