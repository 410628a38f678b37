"""A layer-2 server port is an access port (its one VLAN untagged) or an 802.1Q trunk
(example ``leaf2``: swp3 a trunk of web and db, swp4 an access port of web)."""

from __future__ import annotations

import pytest
from render_examples import load_example

from renderers import render
from renderers.context import Nos, Stage
from renderers.errors import RenderError

ACCESS_LINES = {
    Nos.LINUX_FRR: ("    bridge-access {vlan}\n", "    bridge-vids {vlans}\n"),
    Nos.EOS: ("   switchport access vlan {vlan}\n", "   switchport trunk allowed vlan {vlans}\n"),
    Nos.NXOS: ("  switchport access vlan {vlan}\n", "  switchport trunk allowed vlan {vlans}\n"),
    Nos.JUNOS: ("interface-mode access\n", "interface-mode trunk\n"),
}


@pytest.mark.parametrize("nos", list(Nos))
def test_an_untagged_port_renders_as_access_and_a_tagged_one_as_trunk(nos: Nos) -> None:
    context = load_example("leaf2", nos)
    ports = {port["name"]: port for port in context["interfaces"] if port["vlans"]}
    access = [port for port in ports.values() if port.get("untagged")]
    trunks = [port for port in ports.values() if not port.get("untagged")]
    assert len(access) == 1 and trunks
    text = render(context, Stage.SERVICE)
    access_line, trunk_line = ACCESS_LINES[nos]
    (vlan,) = access[0]["vlans"]
    assert access_line.format(vlan=vlan) in text
    assert trunk_line.format(vlans=",".join(map(str, trunks[0]["vlans"]))) in text or (
        trunk_line.format(vlans=" ".join(map(str, trunks[0]["vlans"]))) in text
    )


def test_an_access_port_with_two_vlans_is_refused_naming_the_port() -> None:
    context = load_example("leaf2")
    trunk = next(p for p in context["interfaces"] if len(p["vlans"]) > 1)
    trunk["untagged"] = True
    with pytest.raises(RenderError) as caught:
        render(context, Stage.SERVICE)
    assert f"access port {trunk['name']} has VLANs {sorted(trunk['vlans'])}" in str(caught.value)
