"""A tenant network's FRR change applied by the driver itself: only a zone's announced
``network`` lines, each entered in its context; anything else is left to frr-reload."""

from __future__ import annotations

from napalm_linuxfrr.frr_delta import lines_in_context, native_delta

ZONE = """frr defaults datacenter
hostname rack1-leaf1
!
router bgp 65001
 bgp router-id 10.0.0.11
 neighbor 10.0.0.1 remote-as 65000
 !
 address-family l2vpn evpn
  neighbor 10.0.0.1 activate
  advertise-all-vni
 exit-address-family
exit
!
router bgp 65001 vrf blue
 !
 address-family ipv4 unicast
  network 10.100.0.0/16
 exit-address-family
 !
 address-family l2vpn evpn
  advertise ipv4 unicast
 exit-address-family
exit
!
"""
WITH_APP = ZONE.replace(
    "  network 10.100.0.0/16\n", "  network 10.100.0.0/16\n  network 10.102.0.0/16\n"
)
FAMILY = ("router bgp 65001 vrf blue", "address-family ipv4 unicast")


def test_each_line_knows_the_contexts_it_sits_in() -> None:
    lines = lines_in_context(ZONE)
    assert (FAMILY, "network 10.100.0.0/16") in lines
    assert (("router bgp 65001",), "bgp router-id 10.0.0.11") in lines
    assert (("router bgp 65001", "address-family l2vpn evpn"), "advertise-all-vni") in lines
    assert not [line for _, line in lines if line.startswith(("!", "exit"))]


def test_a_new_network_is_one_announcement_entered_in_its_zone() -> None:
    delta = native_delta(ZONE, WITH_APP)
    assert delta is not None and delta.removed == ()
    assert delta.added == ((FAMILY, "network 10.102.0.0/16"),)
    assert delta.script() == (
        "router bgp 65001 vrf blue\naddress-family ipv4 unicast\nnetwork 10.102.0.0/16\n"
        "exit-address-family\nexit\n"
    )
    assert "+   network 10.102.0.0/16" in delta.preview()


def test_removing_it_negates_the_announcement() -> None:
    delta = native_delta(WITH_APP, ZONE)
    assert delta is not None and delta.added == ()
    assert "no network 10.102.0.0/16\n" in delta.script()
    assert delta.preview().startswith("frr lines to delete:")


def test_any_other_change_is_left_to_frr_reload() -> None:
    assert native_delta(ZONE, ZONE.replace("65000", "65009")) is None  # a session's peer
    assert native_delta(ZONE, ZONE.replace("advertise-all-vni", "")) is None
    assert native_delta(ZONE, ZONE + "ip route 10.9.0.0/16 blackhole\n") is None  # top level
    assert native_delta(ZONE, ZONE) is None  # nothing to apply
