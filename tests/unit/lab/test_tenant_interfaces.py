"""Tenant devices in /etc/network/interfaces: VRFs, VXLAN devices, bridges and SVIs, as the
linuxfrr renderer writes them and the driver parses, plans and reads them back."""

from __future__ import annotations

from pathlib import Path

import pytest

from linuxfrr_document import parse_document
from napalm_linuxfrr.ifaces import InterfacesError, parse_interfaces, render_interfaces
from napalm_linuxfrr.kernel import (
    KernelIface,
    Record,
    parse_bridge_vlans,
    parse_ip_addr,
    plan_interface_changes,
    running_interfaces,
)
from napalm_linuxfrr.virtual import plan_attachment, plan_devices

GOLDEN = Path(__file__).resolve().parents[3] / "fixtures" / "golden_configs" / "linux_frr"
DOCUMENTS = sorted(GOLDEN.glob("*/*.txt"))

TENANT = """\
auto lo
iface lo inet loopback
    address 10.0.0.12/32

auto swp3
iface swp3
    bridge-vids 100 200

auto swp4
iface swp4
    bridge-access 100

auto blue
iface blue
    vrf-table auto

auto vni10100
iface vni10100
    vxlan-id 10100
    vxlan-local-tunnelip 10.0.0.12
    bridge-access 100
    bridge-learning off
    bridge-arp-nd-suppress on

auto vni10001
iface vni10001
    vxlan-id 10001
    vxlan-local-tunnelip 10.0.0.12
    bridge-learning off

auto br10001
iface br10001
    bridge-ports vni10001
    vrf blue

auto bridge
iface bridge
    bridge-vlan-aware yes
    bridge-ports vni10100 swp4 swp3
    bridge-vids 100 200

auto vlan100
iface vlan100
    vlan-id 100
    vlan-raw-device bridge
    hwaddress 00:00:5E:00:01:01
    address 10.100.0.1/16
    vrf blue
"""


def port(name: str, **extra: object) -> KernelIface:
    base = {"admin_up": True, "oper_up": True, "mtu": 1500, "alias": "", "mac": "", "kind": ""}
    return KernelIface(name=name, addresses=(), **{**base, **extra})  # type: ignore[arg-type]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_rendered_interfaces_file_is_accepted_by_the_driver(path: Path) -> None:
    """The renderer's output is the driver's input: every golden file parses, and its
    canonical form is stable (parsing the canonical text gives it back)."""
    text = parse_document(path.read_text()).interfaces or ""
    canonical = render_interfaces(parse_interfaces(text).values())
    assert render_interfaces(parse_interfaces(canonical).values()) == canonical


def test_tenant_devices_are_created_from_vrfs_to_svis_with_the_first_free_table() -> None:
    kernel = {"lo": port("lo"), "swp3": port("swp3"), "swp4": port("swp4")}
    kernel["other"] = port("other", kind="vrf", vrf_table=1001)  # not in the file: deleted
    commands = plan_devices(parse_interfaces(TENANT), kernel)
    assert commands == [
        ["ip", "link", "del", "dev", "other"],
        ["ip", "link", "add", "blue", "type", "vrf", "table", "1001"],
        ["ip", "link", "add", "vni10001", "type", "vxlan", "id", "10001", "local", "10.0.0.12",
         "dstport", "4789", "nolearning"],
        ["ip", "link", "add", "vni10100", "type", "vxlan", "id", "10100", "local", "10.0.0.12",
         "dstport", "4789", "nolearning"],
        ["ip", "link", "add", "br10001", "type", "bridge", "stp_state", "0"],
        ["ip", "link", "add", "bridge", "type", "bridge", "stp_state", "0", "vlan_filtering",
         "1", "vlan_default_pvid", "0"],
        ["ip", "link", "add", "link", "bridge", "name", "vlan100", "type", "vlan", "id", "100"],
    ]  # fmt: skip


def test_a_vxlan_device_whose_vni_changed_is_recreated() -> None:
    target = parse_interfaces(TENANT)
    kernel = {"vni10100": port("vni10100", kind="vxlan", vxlan_id=10200, vxlan_local="10.0.0.12")}
    commands = plan_devices(target, kernel)
    assert commands[0] == ["ip", "link", "del", "dev", "vni10100"]
    assert ["ip", "link", "add", "vni10100", "type", "vxlan", "id", "10100", "local",
            "10.0.0.12", "dstport", "4789", "nolearning"] in commands  # fmt: skip


def test_attachment_enslaves_then_sets_vlans_flags_and_the_anycast_mac() -> None:
    target = parse_interfaces(TENANT)
    kernel = {
        "swp3": port("swp3"),
        "swp4": port("swp4"),
        "blue": port("blue", kind="vrf", vrf_table=1001),
        "bridge": port("bridge", kind="bridge", vlan_filtering=True),
        "br10001": port("br10001", kind="bridge"),
        "vni10100": port("vni10100", kind="vxlan", vxlan_id=10100, vxlan_local="10.0.0.12"),
        "vni10001": port("vni10001", kind="vxlan", vxlan_id=10001, vxlan_local="10.0.0.12"),
        "vlan100": port(
            "vlan100", kind="vlan", vlan_id=100, link="bridge", mac="aa:bb:cc:00:00:01"
        ),
    }
    commands = plan_attachment(target, kernel)
    assert commands == [
        ["ip", "link", "set", "dev", "br10001", "master", "blue"],
        ["bridge", "vlan", "add", "dev", "bridge", "vid", "100", "self"],
        ["bridge", "vlan", "add", "dev", "bridge", "vid", "200", "self"],
        ["ip", "link", "set", "dev", "swp3", "master", "bridge"],
        ["bridge", "vlan", "add", "dev", "swp3", "vid", "100"],
        ["bridge", "vlan", "add", "dev", "swp3", "vid", "200"],
        ["ip", "link", "set", "dev", "swp4", "master", "bridge"],
        ["bridge", "vlan", "add", "dev", "swp4", "vid", "100", "pvid", "untagged"],
        ["ip", "link", "set", "dev", "vlan100", "master", "blue"],
        ["ip", "link", "set", "dev", "vlan100", "address", "00:00:5e:00:01:01"],
        ["ip", "link", "set", "dev", "vni10001", "master", "br10001"],
        ["bridge", "link", "set", "dev", "vni10001", "learning", "off"],
        ["ip", "link", "set", "dev", "vni10100", "master", "bridge"],
        ["bridge", "vlan", "add", "dev", "vni10100", "vid", "100", "pvid", "untagged"],
        ["bridge", "link", "set", "dev", "vni10100", "learning", "off", "neigh_suppress", "on"],
    ]


def test_a_port_left_out_of_the_file_leaves_its_bridge_and_goes_down() -> None:
    kernel = {
        "swp3": port("swp3", master="bridge", vids=(100,)),
        "bridge": port("bridge", kind="bridge", vlan_filtering=True),
    }
    target = parse_interfaces("auto bridge\niface bridge\n    bridge-vlan-aware yes\n")
    commands = plan_interface_changes(target, kernel)
    assert ["ip", "link", "set", "dev", "swp3", "nomaster"] in commands
    assert ["ip", "link", "set", "dev", "swp3", "down"] in commands


def test_a_vlan_moving_from_tagged_to_untagged_is_deleted_then_added_untagged() -> None:
    target = parse_interfaces(
        "auto bridge\niface bridge\n    bridge-vlan-aware yes\n    bridge-ports swp3\n\n"
        "auto swp3\niface swp3\n    bridge-access 100\n"
    )
    kernel = {
        "swp3": port("swp3", master="bridge", vids=(100, 200)),
        "bridge": port("bridge", kind="bridge", vlan_filtering=True),
    }
    assert plan_attachment(target, kernel) == [
        ["bridge", "vlan", "del", "dev", "swp3", "vid", "100"],
        ["bridge", "vlan", "del", "dev", "swp3", "vid", "200"],
        ["bridge", "vlan", "add", "dev", "swp3", "vid", "100", "pvid", "untagged"],
    ]


def test_the_canonical_form_orders_ports_then_vrfs_vxlan_bridges_svis() -> None:
    canonical = render_interfaces(parse_interfaces(TENANT).values())
    names = [line.split()[1] for line in canonical.splitlines() if line.startswith("auto ")]
    assert names == ["lo", "swp3", "swp4", "blue", "vni10001", "vni10100", "br10001", "bridge",
                     "vlan100"]  # fmt: skip
    assert "    bridge-ports swp3 swp4 vni10100" in canonical
    assert "    hwaddress 00:00:5e:00:01:01" in canonical


def test_record_keeps_the_macs_the_push_set() -> None:
    record = Record(hwaddress={"vlan100": "00:00:5e:00:01:01"})
    from napalm_linuxfrr.kstate import parse_record

    assert parse_record(record.to_json()).hwaddress == {"vlan100": "00:00:5e:00:01:01"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("auto v\niface v\n    vlan-id 100\n", "vlan-id needs vlan-raw-device"),
        ("auto x\niface x\n    vxlan-id 10\n", "needs vxlan-local-tunnelip"),
        ("auto x\niface x\n    vxlan-id 10\n    vxlan-local-tunnelip 10.0.0.1\n"
         "    vrf-table auto\n", "define different kinds"),
        ("auto s\niface s\n    vrf red\n", "has no stanza with 'vrf-table auto'"),
        ("auto s\niface s\n    bridge-access 10\n", "not a port of a VLAN-aware bridge"),
        ("auto s\niface s\n    bridge-learning off\n", "no bridge's port"),
        ("auto b\niface b\n    bridge-ports swp9\n", "has no stanza of a port or VXLAN device"),
        ("auto v\niface v\n    vlan-id 5\n    vlan-raw-device b\n\nauto b\niface b\n"
         "    bridge-ports s\n\nauto s\niface s\n", "is not a VLAN-aware bridge"),
        ("auto s\niface s\n    hwaddress 01:00:5e:00:00:01\n", "a unicast MAC"),
        ("auto s\niface s\n    bridge-vids 5 5\n", "repeats a VLAN"),
        ("auto s\niface s\n    vrf-table 10\n", "allowed: auto"),
        ("auto s\niface s\n    bond-slaves a b\n", "not supported by this driver version"),
    ],
)  # fmt: skip
def test_invalid_tenant_stanzas_are_refused_with_what_is_allowed(text: str, message: str) -> None:
    with pytest.raises(InterfacesError, match="allowed") as caught:
        parse_interfaces(text)
    assert message in str(caught.value)


RECORDED = Path(__file__).resolve().parents[3] / "fixtures" / "napalm_linuxfrr" / "tenants"


@pytest.mark.parametrize("leaf", ["leaf1", "leaf2"])
def test_a_leaf_just_pushed_in_the_tenant_lab_reads_back_as_its_document(leaf: str) -> None:
    """Recorded in the UML tenant lab right after the push (``lab.uml.tenant_guest``):
    the kernel's state reads back as the pushed document, and planning it again is empty."""
    folder = RECORDED / leaf
    wanted = parse_interfaces(
        parse_document((folder / "document.txt").read_text()).interfaces or ""
    )
    vlans = parse_bridge_vlans((folder / "bridge_vlan.json").read_text())
    kernel = parse_ip_addr((folder / "ip_addr.json").read_text(), vlans)
    record = Record(
        mentioned=tuple(name for name in wanted if name != "lo"),
        link_speed={n: c.link_speed for n, c in wanted.items() if c.link_speed is not None},
        hwaddress={n: c.hwaddress for n, c in wanted.items() if c.hwaddress is not None},
    )
    assert render_interfaces(running_interfaces(kernel, record)) == render_interfaces(
        wanted.values()
    )
    assert plan_devices(wanted, kernel) == []
    assert plan_interface_changes(wanted, kernel) == []


def test_ip_and_bridge_commands_are_batched_per_run_of_one_program() -> None:
    from napalm_linuxfrr.device import batches, failed_batch_line

    commands = [
        ["ip", "link", "add", "blue", "type", "vrf", "table", "1001"],
        ["ip", "link", "set", "dev", "blue", "up"],
        ["ip", "link", "set", "dev", "swp1", "alias", "to spine1:swp1"],  # a space: alone
        ["ip", "link", "set", "dev", "swp1", "up"],
        ["bridge", "vlan", "add", "dev", "swp3", "vid", "100"],
        ["bridge", "vlan", "add", "dev", "swp3", "vid", "200"],
        ["ip", "addr", "add", "10.0.0.1/32", "dev", "lo"],
    ]
    grouped = batches(commands)
    assert [(program, len(group)) for program, group in grouped] == [
        ("ip", 2), ("ip", 1), ("ip", 1), ("bridge", 2), ("ip", 1)
    ]  # fmt: skip
    assert grouped[0][1] == commands[:2]
    assert (
        failed_batch_line('Cannot find device "x"\nCommand failed -:2\n', grouped[3][1])
        == (commands[5])
    )
    assert failed_batch_line("no line number", grouped[3][1]) == commands[4]
