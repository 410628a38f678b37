"""RDs and RTs of routing zones come from their L3 VNI, never from their position: a VRF
added on a leaf renumbers none of the others (an operator would reject that push)."""

from __future__ import annotations

import copy

import pytest
from render_examples import load_example

from renderers import render
from renderers.context import DeviceContext, Nos, Stage
from renderers.errors import RenderError

TAG_LINES = ("rd ", "route-target", "route-distinguisher", "vrf-target", "vni 10001")


def with_zone_sorting_first(context: DeviceContext) -> DeviceContext:
    """leaf2 with one more network in a zone ``aaa`` (L3 VNI 10002), sorting before blue."""
    extra = copy.deepcopy(context)
    network = dict(extra["virtual_networks"][1])
    network.update(name="cache", vlan=300, vni=10300, vrf="aaa", l3vni=10002,
                   gateway="10.30.2.1/24")  # fmt: skip
    extra["virtual_networks"].append(network)  # type: ignore[arg-type]
    return extra


def blue_lines(text: str) -> list[str]:
    return [
        line.strip()
        for line in text.splitlines()
        if any(tag in line for tag in TAG_LINES) and "10001" in line
    ]


@pytest.mark.parametrize("nos", list(Nos))
def test_adding_a_vrf_that_sorts_first_keeps_every_other_vrfs_rd_and_rt(nos: Nos) -> None:
    before = render(load_example("leaf2", nos), Stage.SERVICE)
    after = render(with_zone_sorting_first(load_example("leaf2", nos)), Stage.SERVICE)
    assert blue_lines(before)  # blue's L3 VNI is rendered at all
    assert blue_lines(after) == blue_lines(before)
    assert "10002" in after  # and the new zone got its own


def test_an_l3_vni_too_large_for_the_rd_field_is_refused() -> None:
    context = load_example("leaf2", Nos.EOS)
    for network in context["virtual_networks"]:
        if network["vrf"] == "blue":
            network["l3vni"] = 70000
    with pytest.raises(RenderError, match="2-byte field") as caught:
        render(context, Stage.SERVICE)
    assert "1..65535" in caught.value.allowed
