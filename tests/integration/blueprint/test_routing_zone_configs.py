"""A routing zone's L3 VNI, allocated from pool ``vni``, reaches every rendering of the
leafs that serve its networks: FRR's ``vrf ... vni``, the L3 VNI's VXLAN device, and the
RDs/RTs derived from it (lab-evpn: zone blue holds web on rack1/rack2 and db on rack3)."""

from __future__ import annotations

from typing import Any

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Query
from renderers import render
from renderers.context import Nos, Stage

ZONE_VNI = Query(
    "test.zone_vni",
    "MATCH (z:RoutingZone {blueprint: $bp, id: 'blue'}) RETURN z.vni AS vni",
)


def test_the_zones_allocated_l3_vni_is_rendered_for_every_nos(
    make_blueprint: Any, blueprints: Blueprints
) -> None:
    bp = make_blueprint("lab-evpn")
    (row,) = blueprints.graph.read(ZONE_VNI, bp=bp)
    vni = int(row["vni"])
    contexts = blueprints.configs.contexts(bp, ["rack3-leaf1", "spine1"])
    leaf = contexts["rack3-leaf1"]
    assert {n["l3vni"] for n in leaf["virtual_networks"] if n["vrf"] == "blue"} == {vni}
    router_id = leaf["router_id"]
    linux = render(leaf, Stage.SERVICE)
    assert f"vrf blue\n vni {vni}\nexit-vrf" in linux
    assert f"auto br{vni}\niface br{vni}\n" in linux and f"    vxlan-id {vni}\n" in linux
    assert "  advertise ipv4 unicast\n" in linux
    eos = render({**leaf, "nos": Nos.EOS}, Stage.SERVICE)
    assert f"vxlan vrf blue vni {vni}" in eos and f"rd {router_id}:{vni}" in eos
    assert f"route-target import evpn {vni}:{vni}" in eos
    # the spine serves no network: no zone, no VNI
    assert f"vni {vni}" not in render(contexts["spine1"], Stage.SERVICE)
