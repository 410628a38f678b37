"""The driver's EVPN getter on FRR's output recorded in the UML tenant lab (leaf2: web
stretched to leaf1, db local, zone blue's L3 VNI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from napalm_linuxfrr.evpn import EvpnOutputError, parse_vnis, vxlan_up, with_links

RECORDED = Path(__file__).resolve().parents[3] / "fixtures" / "napalm_linuxfrr" / "tenants"


def test_l2_and_l3_vnis_with_their_vrf_and_remote_vteps() -> None:
    vnis = parse_vnis((RECORDED / "leaf2" / "show_evpn_vni_detail.json").read_text())
    assert sorted(vnis) == ["10001", "10100", "10200"]
    web, db, zone = vnis["10100"], vnis["10200"], vnis["10001"]
    assert (web["type"], web["vrf"], web["local_vtep"]) == ("l2", "blue", "10.0.0.12")
    assert (web["interface"], web["svi"], web["state"]) == ("vni10100", "vlan100", "up")
    assert web["remote_vteps"] == ["10.0.0.11"]  # leaf1 serves web too
    assert db["remote_vteps"] == []  # db lives in rack2 only
    assert (zone["type"], zone["state"], zone["l2_vnis"]) == ("l3", "up", [10100, 10200])
    assert zone["svi"] == "br10001"


def test_no_evpn_is_empty_and_garbage_names_the_command() -> None:
    assert parse_vnis("") == {}
    assert parse_vnis("{}") == {}
    with pytest.raises(EvpnOutputError, match="show evpn vni detail json"):
        parse_vnis("% Unknown command")


LINKS = """[{"ifindex": 9, "ifname": "vni10100", "flags": ["BROADCAST","MULTICAST","UP","LOWER_UP"],
  "operstate": "UNKNOWN"},
 {"ifindex": 10, "ifname": "vni10200", "flags": ["BROADCAST","MULTICAST"], "operstate": "DOWN"},
 {"ifindex": 11, "ifname": "vni10001", "flags": ["BROADCAST","MULTICAST","UP","LOWER_UP"],
  "operstate": "UNKNOWN"}]"""


def test_an_l2_vni_whose_vxlan_device_is_down_or_gone_is_down() -> None:
    vnis = parse_vnis((RECORDED / "leaf2" / "show_evpn_vni_detail.json").read_text())
    links = vxlan_up(LINKS)
    assert links == {"vni10100": True, "vni10200": False, "vni10001": True}
    states = {n: v["state"] for n, v in with_links(vnis, links).items()}
    assert states == {"10100": "up", "10200": "down", "10001": "up"}
    gone = with_links(vnis, {"vni10200": True, "vni10001": True})  # vni10100 deleted
    assert gone["10100"]["state"] == "down"
    with pytest.raises(EvpnOutputError, match="ip -j link show type vxlan"):
        vxlan_up("Cannot find device")
