"""The impact rules on small hand-drawn fabrics (pure, no I/O).

 s1        s2             two spines
 | \\      / |            every leaf has one uplink to each spine
 |  \\    /  |            (links u-<spine>-<leaf>)
 |   \\  /   |
L1   L2    L3            L1+L2 a pair (rack A), L3 alone (rack B)
| \\  / |     |
|  \\/  |     |
|  /\\  |     |
D1    D2    S3           D1, D2 dual-homed to L1 and L2; S3 single-homed to L3
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from blueprint_engine.errors import ValidationError
from blueprint_engine.impact.model import (
    Attachment,
    ElementKind,
    Impact,
    LeafNode,
    LinkNode,
    Neighbourhood,
    NetworkRef,
    Scenario,
    ServerNode,
    SessionNode,
    Uplink,
    assess,
)

SPINES = ("s1", "s2")
RACK_OF = {"L1": "A", "L2": "A", "L3": "B"}
SERVERS = {"D1": ("L1", "L2"), "D2": ("L1", "L2"), "S3": ("L3",)}
WEB = NetworkRef("web", 100, None)
DB = NetworkRef("db", 101, 10101)


def uplink(spine: str, leaf: str) -> str:
    return f"u-{spine}-{leaf}"


def attach(server: str, leaf: str) -> str:
    return f"d-{leaf}-{server}"


def leaf(leaf_id: str, spines: tuple[str, ...] = SPINES, in_service: bool = True) -> LeafNode:
    ups = tuple(Uplink(uplink(s, leaf_id), s) for s in spines)
    return LeafNode(leaf_id, RACK_OF[leaf_id], ups, in_service)


def link(link_id: str) -> LinkNode:
    kind, a, b = link_id.split("-")
    return LinkNode(
        link_id, "spine_leaf" if kind == "u" else "leaf_server", f"{a}:p", f"{b}:p", a, b
    )


def hood(
    *,
    links: tuple[str, ...] = (),
    systems: tuple[tuple[str, str], ...] = (),
    sessions: tuple[SessionNode, ...] = (),
    leafs: dict[str, LeafNode] | None = None,
) -> Neighbourhood:
    servers = tuple(
        ServerNode(
            srv, "B" if srv == "S3" else "A", tuple(Attachment(attach(srv, lf), lf) for lf in lfs)
        )
        for srv, lfs in SERVERS.items()
    )
    return Neighbourhood(
        blueprint="bp",
        kind=ElementKind.LINK,
        id="x",
        links=tuple(link(x) for x in links),
        systems=systems,
        sessions=sessions,
        leafs=leafs if leafs is not None else {lf: leaf(lf) for lf in RACK_OF},
        servers=servers,
        rack_networks={"A": (DB,), "B": (WEB, DB)},
    )


def ids(items: tuple[object, ...]) -> list[str]:
    return [getattr(item, "id") for item in items]  # noqa: B009


def test_a_dual_homed_server_link_costs_that_server_its_redundancy_only() -> None:
    result = assess(hood(links=(attach("D1", "L1"),)))
    assert ids(result.servers_losing_redundancy) == ["D1"]
    assert result.servers_losing_redundancy[0].leafs_after == ("L2",)
    assert result.servers_losing_connectivity == ()
    assert [(v.id, v.racks, v.servers_losing_redundancy) for v in result.virtual_networks] == [
        ("db", ("A",), ("D1",))
    ]
    assert {i.id for i in result.interfaces} == {"L1:p", "D1:p"}
    assert result.systems == ()  # the leaf keeps both uplinks


def test_a_single_homed_server_link_disconnects_that_server() -> None:
    result = assess(hood(links=(attach("S3", "L3"),)))
    assert ids(result.servers_losing_connectivity) == ["S3"]
    assert result.servers_losing_redundancy == ()
    nets = {v.id: v for v in result.virtual_networks}
    assert set(nets) == {"web", "db"}
    assert nets["web"].servers_losing_connectivity == ("S3",)
    assert nets["web"].unavailable_in_racks == ()  # L3 still serves rack B


def test_a_spine_leaf_link_leaves_the_leaf_one_uplink_and_servers_untouched() -> None:
    session = SessionNode("s1--L1", "ipv4", "s1", "L1", uplink("s1", "L1"))
    evpn = SessionNode("s1--L1:evpn", "evpn", "s1", "L1", None, (uplink("s1", "L1"),))
    other = SessionNode("s2--L1:evpn", "evpn", "s2", "L1", None, (uplink("s2", "L1"),))
    result = assess(hood(links=(uplink("s1", "L1"),), sessions=(session, evpn, other)))
    assert [(s.id, s.effect) for s in result.bgp_sessions] == [
        ("s1--L1", "down"),
        ("s1--L1:evpn", "down"),  # its loopback is learnt only over the direct link
    ]
    assert [(s.id, s.effect, s.uplinks_before, s.uplinks_after) for s in result.systems] == [
        ("L1", "fewer_uplinks", 2, 1)
    ]
    # D1/D2 still reach L1 (one uplink) and L2 (two): two leafs, two spines
    assert result.servers_losing_redundancy == result.servers_losing_connectivity == ()
    assert result.virtual_networks == ()


def test_the_last_uplink_isolates_a_leaf_and_its_single_homed_servers() -> None:
    one_spine = {lf: leaf(lf, ("s1",)) for lf in RACK_OF}
    result = assess(hood(links=(uplink("s1", "L3"),), leafs=one_spine))
    assert [(s.id, s.effect) for s in result.systems] == [("L3", "isolated")]
    assert ids(result.servers_losing_connectivity) == ["S3"]
    nets = {v.id: v for v in result.virtual_networks}
    assert nets["web"].leafs == ("L3",)
    assert nets["web"].unavailable_in_racks == ("B",)


def test_a_leaf_of_a_pair_fails_dual_homed_servers_lose_redundancy() -> None:
    result = assess(hood(systems=(("L1", "leaf"),)))
    assert ids(result.servers_losing_redundancy) == ["D1", "D2"]
    assert result.servers_losing_connectivity == ()
    assert [(s.id, s.effect) for s in result.systems] == [("L1", "down")]
    (db,) = result.virtual_networks
    assert (db.leafs, db.unavailable_in_racks) == (("L1",), ())


def test_a_spine_of_two_leaves_every_dual_homed_server_one_spine() -> None:
    result = assess(hood(systems=(("s1", "spine"),)))
    assert ids(result.servers_losing_redundancy) == ["D1", "D2"]
    assert {s.spines_after for s in result.servers_losing_redundancy} == {1}
    assert result.servers_losing_connectivity == ()  # S3 was never redundant
    assert {s.id: s.effect for s in result.systems} == {
        "s1": "down",
        "L1": "fewer_uplinks",
        "L2": "fewer_uplinks",
        "L3": "fewer_uplinks",
    }


def test_a_spine_of_three_costs_servers_nothing() -> None:
    three = {lf: leaf(lf, ("s1", "s2", "s3")) for lf in RACK_OF}
    result = assess(hood(systems=(("s1", "spine"),), leafs=three))
    assert result.servers_losing_redundancy == result.servers_losing_connectivity == ()


def test_drain_withdraws_underlay_sessions_and_drops_loopback_sessions() -> None:
    sessions = (
        SessionNode("s1--L1", "ipv4", "s1", "L1", uplink("s1", "L1")),
        SessionNode("s1--L1:evpn", "evpn", "s1", "L1", None, (uplink("s1", "L1"),)),
        SessionNode("s1--L2", "ipv4", "s1", "L2", uplink("s1", "L2")),
    )
    links = (uplink("s1", "L1"), uplink("s2", "L1"), attach("D1", "L1"), attach("D2", "L1"))
    taken = hood(links=links, systems=(("L1", "leaf"),), sessions=sessions)
    drained = assess(taken, Scenario.DRAIN)
    assert [(s.id, s.effect) for s in drained.bgp_sessions] == [
        ("s1--L1", "withdrawn"),
        ("s1--L1:evpn", "down"),
    ]
    assert {link.effect for link in drained.links} == {"drained"}
    assert ids(drained.servers_losing_redundancy) == ["D1", "D2"]
    undeployed = assess(taken, Scenario.UNDEPLOY)
    assert {s.effect for s in undeployed.bgp_sessions} == {"down"}
    assert {link.effect for link in undeployed.links} == {"unconfigured"}
    assert [(s.id, s.effect) for s in undeployed.systems] == [("L1", "undeployed")]


def test_a_leaf_already_drained_makes_its_pair_a_single_point_of_failure() -> None:
    leafs = {lf: leaf(lf) for lf in RACK_OF}
    leafs["L2"] = replace(leafs["L2"], in_service=False)
    result = assess(hood(systems=(("L1", "leaf"),), leafs=leafs), Scenario.DRAIN)
    assert ids(result.servers_losing_connectivity) == ["D1", "D2"]
    (db,) = result.virtual_networks
    assert db.unavailable_in_racks == ("A",)


def test_a_failed_virtual_network_takes_its_servers_connectivity_in_it() -> None:
    base = hood()
    network = replace(
        base,
        kind=ElementKind.VIRTUAL_NETWORK,
        id="web",
        network=WEB,
        rack_networks={"B": (WEB,)},
        servers=tuple(s for s in base.servers if s.rack == "B"),
    )
    result: Impact = assess(network)
    assert ids(result.servers_losing_connectivity) == ["S3"]
    (web,) = result.virtual_networks
    assert (web.racks, web.leafs, web.unavailable_in_racks) == (("B",), ("L3",), ("B",))
    assert (result.links, result.bgp_sessions) == ((), ())


@pytest.mark.parametrize("text", ["Transceiver", "virtual-network", "device", " LINK "])
def test_kinds_parse_leniently(text: str) -> None:
    assert ElementKind.parse(text) in ElementKind


def test_an_unknown_kind_names_the_allowed_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        ElementKind.parse("cable")
    assert "cable" in caught.value.message
    assert "transceiver" in caught.value.allowed and "virtual_network" in caught.value.allowed


def test_a_what_if_mode_is_drain_or_undeploy() -> None:
    assert Scenario.parse_what_if("Drain") == Scenario.DRAIN
    with pytest.raises(ValidationError) as caught:
        Scenario.parse_what_if("fail")
    assert caught.value.allowed == "drain, undeploy"
