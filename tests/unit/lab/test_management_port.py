"""The management port (``eth0``, and a management VRF with its members) is outside the
configuration: a push never shuts, readdresses or deletes it, the running document does
not show it, and an intent naming it is refused as a port the device lacks."""

from __future__ import annotations

import pytest

from napalm_linuxfrr.device import management_names
from napalm_linuxfrr.ifaces import InterfacesError, check_ports, parse_interfaces
from napalm_linuxfrr.kernel import (
    KernelIface,
    Record,
    device_ports,
    plan_interface_changes,
    running_interfaces,
)
from napalm_linuxfrr.kstate import without_management

INTENT = parse_interfaces(
    "auto lo\niface lo inet loopback\n    address 10.0.0.11/32\n\n"
    "auto swp1\niface swp1\n    address 10.1.0.1/31\n"
)


def iface(
    name: str,
    kind: str = "veth",
    master: str | None = None,
    up: bool = True,
    addresses: tuple[str, ...] = (),
) -> KernelIface:
    return KernelIface(name, up, up, 1500, "", "aa:bb:cc:00:00:01", addresses, kind, master=master)


def switch(*extra: KernelIface) -> dict[str, KernelIface]:
    kernel = {
        "lo": iface("lo", "", addresses=("127.0.0.1/8", "10.0.0.11/32")),
        "swp1": iface("swp1", addresses=("10.1.0.1/31",)),
        "swp2": iface("swp2", up=False),
    }
    kernel.update({k.name: k for k in extra})
    return kernel


def test_a_push_leaves_the_management_port_up_with_its_address() -> None:
    kernel = switch(iface("eth0", addresses=("10.253.0.57/24",)))
    assert plan_interface_changes(INTENT, kernel)  # eth0 would be shut and readdressed
    owned = without_management(kernel, frozenset({"eth0"}))
    assert plan_interface_changes(INTENT, owned) == []
    assert "eth0" not in device_ports(owned)


def test_a_management_vrf_takes_its_members_along() -> None:
    kernel = switch(
        iface("mgmt", "vrf"), iface("eth0", master="mgmt", addresses=("172.31.251.11/24",))
    )
    owned = without_management(kernel, frozenset({"eth0", "mgmt"}))
    assert set(owned) == {"lo", "swp1", "swp2"}
    assert plan_interface_changes(INTENT, owned) == []
    record = Record(mentioned=("swp1",))
    assert [c.name for c in running_interfaces(owned, record)] == ["lo", "swp1"]


def test_an_intent_naming_the_management_port_is_refused() -> None:
    owned = without_management(switch(iface("eth0")), frozenset({"eth0"}))
    with pytest.raises(InterfacesError, match=r"eth0 do not exist.*allowed: lo, swp1, swp2"):
        check_ports(parse_interfaces("auto eth0\niface eth0\n"), device_ports(owned))


def test_the_management_option_has_a_grammar() -> None:
    assert management_names("eth0, mgmt") == frozenset({"eth0", "mgmt"})
    assert management_names("") == frozenset()
    with pytest.raises(ValueError, match=r"'eth 0' is not an interface name .*allowed"):
        management_names("eth 0")
    with pytest.raises(ValueError, match="not an interface name"):
        management_names("a" * 16)
