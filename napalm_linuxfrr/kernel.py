"""The ``ip`` commands that turn the kernel's interface state into a target, and the
interfaces file that describes the kernel's state. Pure functions: the JSON comes in as
text, the plan goes out as argv lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from napalm_linuxfrr.ifaces import DEFAULT_MTU, IfaceConfig, natural_key
from napalm_linuxfrr.kstate import (
    LOOPBACK_DEFAULT,
    NON_PORT_KINDS,
    KernelIface,
    Record,
    device_ports,
    parse_bridge_vlans,
    parse_ip_addr,
    parse_record,
)
from napalm_linuxfrr.virtual import attachment, kernel_kind, plan_attachment, running_devices

__all__ = [
    "LOOPBACK_DEFAULT",
    "NON_PORT_KINDS",
    "KernelIface",
    "Record",
    "device_ports",
    "parse_bridge_vlans",
    "parse_ip_addr",
    "parse_record",
    "plan_interface_changes",
    "running_interfaces",
]


def running_interfaces(kernel: Mapping[str, KernelIface], record: Record) -> list[IfaceConfig]:
    """The interfaces file that describes the kernel state (plus the recorded speeds)."""
    result: list[IfaceConfig] = []
    lo = kernel.get("lo")
    if lo is not None:
        addrs = tuple(a for a in lo.addresses if a != LOOPBACK_DEFAULT)
        result.append(IfaceConfig(name="lo", loopback=True, addresses=addrs))
    for name in device_ports(kernel):
        k = kernel[name]
        member = attachment(k, kernel, record)
        cfg = replace(
            member,
            addresses=k.addresses,
            alias=k.alias or None,
            mtu=k.mtu if k.mtu != DEFAULT_MTU else None,
            link_speed=record.speed(name),
            link_down=not k.admin_up,
        )
        default = IfaceConfig(name=name, link_speed=record.speed(name), link_down=True)
        if cfg != default or name in record.mentioned:
            result.append(cfg)
    return result + running_devices(kernel, record)


def plan_interface_changes(
    target: Mapping[str, IfaceConfig], kernel: Mapping[str, KernelIface]
) -> list[list[str]]:
    """``ip`` commands turning the kernel state into ``target``; ports not named go down.

    Tenant devices must exist already (``virtual.plan_devices``); they are attached to
    their VRF or bridge first, then every device gets its alias, MTU, addresses, state.
    """
    commands: list[list[str]] = []
    lo_target = target.get("lo", IfaceConfig(name="lo", loopback=True))
    if "lo" in kernel:
        lo_want = (LOOPBACK_DEFAULT, *lo_target.addresses)
        commands += _address_changes("lo", kernel["lo"].addresses, lo_want)
        if not kernel["lo"].admin_up:
            commands.append(["ip", "link", "set", "dev", "lo", "up"])
    commands += plan_attachment(target, kernel)
    for name in device_ports(kernel):
        want = target.get(name, IfaceConfig(name=name, link_down=True))
        commands += _port_changes(want, kernel[name])
    devices = [k for k in kernel.values() if kernel_kind(k) != "port" and k.name in target]
    for k in sorted(devices, key=lambda k: natural_key(k.name)):
        commands += _port_changes(target[k.name], k, mtu=k.kind != "vrf")
    return commands


def _port_changes(want: IfaceConfig, have: KernelIface, *, mtu: bool = True) -> list[list[str]]:
    name = have.name
    out: list[list[str]] = []
    if (want.alias or "") != have.alias:
        out.append(["ip", "link", "set", "dev", name, "alias", want.alias or ""])
    wanted_mtu = want.mtu or DEFAULT_MTU
    if mtu and wanted_mtu != have.mtu:
        out.append(["ip", "link", "set", "dev", name, "mtu", str(wanted_mtu)])
    out += _address_changes(name, have.addresses, want.addresses)
    if want.link_down == have.admin_up:
        out.append(["ip", "link", "set", "dev", name, "down" if want.link_down else "up"])
    return out


def _address_changes(name: str, have: Sequence[str], want: Sequence[str]) -> list[list[str]]:
    removed = [["ip", "addr", "del", a, "dev", name] for a in have if a not in want]
    added = [["ip", "addr", "add", a, "dev", name] for a in want if a not in have]
    return removed + added
