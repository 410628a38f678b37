"""The linuxfrr driver's ``management`` option: a management port and its VRF are never
read as ports, never shut or deleted, and the VRF's table is never given to a tenant VRF."""

from __future__ import annotations

import json
from collections.abc import Sequence

from napalm_linuxfrr.device import Device, management_names
from napalm_linuxfrr.ifaces import parse_interfaces
from napalm_linuxfrr.kernel import device_ports, plan_interface_changes
from napalm_linuxfrr.layout import host_layout
from napalm_linuxfrr.transport import CommandResult
from napalm_linuxfrr.virtual import plan_devices


def link(name: str, kind: str = "", master: str | None = None, **data: object) -> dict[str, object]:
    item: dict[str, object] = {
        "ifname": name, "flags": ["UP", "LOWER_UP"], "operstate": "UP", "mtu": 1500,
        "address": "02:00:00:00:00:01", "addr_info": [],
    }  # fmt: skip
    if kind:
        item["linkinfo"] = {"info_kind": kind, "info_data": data}
    if master:
        item["master"] = master
    return item


# a switch as the tenant lab's management network leaves it: eth0 in VRF mgmt (table 1001)
KERNEL = [
    link("lo"),
    {**link("eth0", master="mgmt"), "addr_info": [
        {"family": "inet", "local": "172.31.251.11", "prefixlen": 24}]},
    link("mgmt", "vrf", table=1001),
    link("swp1"),
    link("swp2"),
]  # fmt: skip


class KernelOnly:
    """The device's answers to the two kernel reads (as ``ip``/``bridge`` print them)."""

    def run(
        self, argv: Sequence[str], stdin: str | None = None, timeout: float = 60.0
    ) -> CommandResult:
        if list(argv[:3]) == ["ip", "-j", "-d"]:
            return CommandResult(0, json.dumps(KERNEL), "")
        if list(argv[:2]) == ["bridge", "-j"]:
            return CommandResult(0, "[]", "")
        return CommandResult(1, "", f"not recorded: {argv}")

    def close(self) -> None:
        """Nothing to release."""


def device(management: str | None) -> Device:
    return Device(KernelOnly(), host_layout(), management_names(management))


def test_the_option_names_a_port_and_a_vrf() -> None:
    assert management_names("eth0,mgmt") == {"eth0", "mgmt"}
    assert management_names(" eth0 , ") == {"eth0"}
    assert management_names(None) == frozenset()


def test_without_the_option_eth0_is_a_port_and_a_push_would_shut_it() -> None:
    kernel = device(None).kernel()
    assert "eth0" in device_ports(kernel)
    commands = plan_interface_changes(parse_interfaces("auto swp1\niface swp1\n"), kernel)
    assert ["ip", "link", "set", "dev", "eth0", "down"] in commands


def test_with_the_option_the_management_interfaces_are_invisible_to_every_plan() -> None:
    dev = device("eth0,mgmt")
    kernel = dev.kernel()
    assert sorted(kernel) == ["lo", "swp1", "swp2"]
    target = parse_interfaces("auto swp1\niface swp1\n")
    words = [w for c in plan_interface_changes(target, kernel) for w in c]
    assert "eth0" not in words and "mgmt" not in words
    assert plan_devices(target, kernel, dev.management_tables()) == []


def test_a_tenant_vrf_never_gets_the_management_vrfs_table() -> None:
    dev = device("eth0,mgmt")
    assert dev.management_tables() == {1001}
    target = parse_interfaces("auto blue\niface blue\n    vrf-table auto\n")
    assert plan_devices(target, dev.kernel(), dev.management_tables()) == [
        ["ip", "link", "add", "blue", "type", "vrf", "table", "1002"]
    ]
