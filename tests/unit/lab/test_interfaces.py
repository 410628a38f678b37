"""``/etc/network/interfaces``: parsing, canonical rendering, and the kernel changes it implies."""

from __future__ import annotations

import pytest

from napalm_linuxfrr.ifaces import (
    IfaceConfig,
    InterfacesError,
    check_ports,
    parse_interfaces,
    render_interfaces,
)
from napalm_linuxfrr.kernel import KernelIface, Record, plan_interface_changes, running_interfaces

TEXT = """auto lo
iface lo inet loopback
    address 10.0.0.11/32

auto swp1
iface swp1
    alias to spine1:swp1
    mtu 9050
    link-speed 100000
    address 10.1.0.1/31

auto swp3
iface swp3
    link-down yes
"""


def port(
    name: str, up: bool = False, addresses: tuple[str, ...] = (), mtu: int = 1500
) -> KernelIface:
    return KernelIface(name, up, up, mtu, "", "aa:bb:cc:00:00:01", addresses, "veth")


def kernel_from(configs: dict[str, IfaceConfig], ports: list[str]) -> dict[str, KernelIface]:
    """The kernel state a correct push of ``configs`` leaves behind."""
    result = {"lo": KernelIface("lo", True, True, 65536, "", "", ("127.0.0.1/8",), "")}
    result["lo"] = KernelIface(
        "lo", True, True, 65536, "", "", ("127.0.0.1/8", *configs["lo"].addresses), ""
    )
    for name in ports:
        cfg = configs.get(name, IfaceConfig(name, link_down=True))
        result[name] = KernelIface(
            name,
            not cfg.link_down,
            not cfg.link_down,
            cfg.mtu or 1500,
            cfg.alias or "",
            "aa:bb:cc:00:00:01",
            cfg.addresses,
            "veth",
        )
    return result


def test_options_are_read_into_the_interface() -> None:
    parsed = parse_interfaces(TEXT)
    assert parsed["lo"] == IfaceConfig("lo", loopback=True, addresses=("10.0.0.11/32",))
    assert parsed["swp1"].mtu == 9050
    assert parsed["swp1"].link_speed == 100000
    assert parsed["swp1"].alias == "to spine1:swp1"
    assert parsed["swp3"].link_down is True


def test_canonical_rendering_is_stable() -> None:
    rendered = render_interfaces(parse_interfaces(TEXT).values())
    assert rendered == TEXT
    assert render_interfaces(parse_interfaces(rendered).values()) == rendered


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("auto swp1\niface swp1\n    speed 10\n", "unknown option 'speed'"),
        ("auto swp1\niface swp1\n    bond-slaves swp2\n", "not supported by this driver"),
        ("auto swp1\niface swp1\n    address 10.1.0.300/31\n", "not IPv4"),
        ("auto swp1\niface swp1\n    address 10.1.0.1\n", "needs a prefix length"),
        ("auto swp1\niface swp1\n    mtu 20\n", "allowed: 68..65535"),
        ("auto swp1\niface swp1\n    link-down maybe\n", "allowed: yes, no"),
        ("iface swp1\n    mtu 9000\n", "has no 'auto swp1'"),
        ("auto swp1\niface swp1\niface swp1\n", "defined twice"),
        ("auto swp1\niface swp1 inet dhcp\n", "unsupported method"),
        ("    mtu 9000\n", "unexpected"),
    ],
)
def test_invalid_files_name_the_problem(text: str, reason: str) -> None:
    with pytest.raises(InterfacesError, match=reason):
        parse_interfaces(text)


def test_a_port_the_device_lacks_is_an_error_naming_the_ports_it_has() -> None:
    with pytest.raises(InterfacesError, match=r"swp9 do not exist.*allowed: lo, swp1, swp2"):
        check_ports(parse_interfaces("auto swp9\niface swp9\n"), ["swp2", "swp1"])


def test_ports_not_in_the_file_go_down_and_lose_their_addresses() -> None:
    kernel = {
        "lo": port("lo", True, ("127.0.0.1/8",)),
        "swp2": port("swp2", True, ("10.9.0.0/31",)),
    }
    plan = plan_interface_changes(parse_interfaces(TEXT), kernel)
    assert ["ip", "addr", "del", "10.9.0.0/31", "dev", "swp2"] in plan
    assert ["ip", "link", "set", "dev", "swp2", "down"] in plan
    assert ["ip", "addr", "add", "10.0.0.11/32", "dev", "lo"] in plan
    assert not any("127.0.0.1/8" in argv for argv in plan)


def test_a_pushed_file_describes_the_kernel_state_it_leaves() -> None:
    configs = parse_interfaces(TEXT)
    kernel = kernel_from(configs, ["swp1", "swp2", "swp3"])
    assert plan_interface_changes(configs, kernel) == []
    record = Record(mentioned=("swp1", "swp3"), link_speed={"swp1": 100000})
    assert render_interfaces(running_interfaces(kernel, record)) == render_interfaces(
        configs.values()
    )


def test_a_change_made_behind_the_drivers_back_shows_in_the_running_file() -> None:
    configs = parse_interfaces(TEXT)
    kernel = kernel_from(configs, ["swp1", "swp2", "swp3"])
    kernel["swp2"] = port("swp2", up=True)
    running = {c.name: c for c in running_interfaces(kernel, Record(mentioned=("swp1", "swp3")))}
    assert running["swp2"] == IfaceConfig("swp2")
    assert plan_interface_changes(configs, kernel) == [["ip", "link", "set", "dev", "swp2", "down"]]
