"""Kernel interface state (``ip -j -d addr show``) and the ``ip`` commands that change it.

Pure functions: the JSON comes in as text, the plan goes out as argv lists.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from napalm_linuxfrr.ifaces import DEFAULT_MTU, IfaceConfig, natural_key

LOOPBACK_DEFAULT = "127.0.0.1/8"
NON_PORT_KINDS = frozenset({"bond", "bridge", "vlan", "vrf", "vxlan", "dummy"})


@dataclass(frozen=True)
class KernelIface:
    name: str
    admin_up: bool
    oper_up: bool
    mtu: int
    alias: str
    mac: str
    addresses: tuple[str, ...]
    kind: str

    @property
    def is_port(self) -> bool:
        return self.name != "lo" and self.kind not in NON_PORT_KINDS


@dataclass(frozen=True)
class Record:
    """What the last commit wrote besides kernel state (``record.json`` on the device)."""

    mentioned: tuple[str, ...] = ()
    link_speed: Mapping[str, int] | None = None
    lldp_enabled: bool = True

    def speed(self, name: str) -> int | None:
        return (self.link_speed or {}).get(name)

    def to_json(self) -> str:
        return json.dumps(
            {
                "mentioned": list(self.mentioned),
                "link_speed": dict(self.link_speed or {}),
                "lldp_enabled": self.lldp_enabled,
            },
            indent=1,
            sort_keys=True,
        )


def parse_record(text: str) -> Record:
    if not text.strip():
        return Record()
    data = json.loads(text)
    return Record(
        mentioned=tuple(data.get("mentioned", [])),
        link_speed={str(k): int(v) for k, v in data.get("link_speed", {}).items()},
        lldp_enabled=bool(data.get("lldp_enabled", True)),
    )


def parse_ip_addr(text: str) -> dict[str, KernelIface]:
    """``ip -j -d addr show`` → interfaces by name (IPv4 addresses only)."""
    result: dict[str, KernelIface] = {}
    for item in json.loads(text or "[]"):
        name = str(item["ifname"])
        addrs = tuple(
            f"{a['local']}/{a['prefixlen']}"
            for a in item.get("addr_info", [])
            if a.get("family") == "inet"
        )
        flags = item.get("flags", [])
        result[name] = KernelIface(
            name=name,
            admin_up="UP" in flags,
            oper_up=item.get("operstate") == "UP" or (name == "lo" and "UP" in flags),
            mtu=int(item.get("mtu", DEFAULT_MTU)),
            alias=str(item.get("ifalias", "")),
            mac=str(item.get("address", "")),
            addresses=addrs,
            kind=str(item.get("linkinfo", {}).get("info_kind", "")),
        )
    return result


def device_ports(kernel: Mapping[str, KernelIface]) -> list[str]:
    return sorted((k.name for k in kernel.values() if k.is_port), key=natural_key)


def running_interfaces(kernel: Mapping[str, KernelIface], record: Record) -> list[IfaceConfig]:
    """The interfaces file that describes the kernel state (plus the recorded speeds)."""
    result: list[IfaceConfig] = []
    lo = kernel.get("lo")
    if lo is not None:
        addrs = tuple(a for a in lo.addresses if a != LOOPBACK_DEFAULT)
        result.append(IfaceConfig(name="lo", loopback=True, addresses=addrs))
    for name in device_ports(kernel):
        k = kernel[name]
        cfg = IfaceConfig(
            name=name,
            addresses=k.addresses,
            alias=k.alias or None,
            mtu=k.mtu if k.mtu != DEFAULT_MTU else None,
            link_speed=record.speed(name),
            link_down=not k.admin_up,
        )
        default = IfaceConfig(name=name, link_speed=record.speed(name), link_down=True)
        if cfg != default or name in record.mentioned:
            result.append(cfg)
    return result


def plan_interface_changes(
    target: Mapping[str, IfaceConfig], kernel: Mapping[str, KernelIface]
) -> list[list[str]]:
    """``ip`` commands turning the kernel state into ``target``; ports not named go down."""
    commands: list[list[str]] = []
    lo_target = target.get("lo", IfaceConfig(name="lo", loopback=True))
    if "lo" in kernel:
        lo_want = (LOOPBACK_DEFAULT, *lo_target.addresses)
        commands += _address_changes("lo", kernel["lo"].addresses, lo_want)
        if not kernel["lo"].admin_up:
            commands.append(["ip", "link", "set", "dev", "lo", "up"])
    for name in device_ports(kernel):
        want = target.get(name, IfaceConfig(name=name, link_down=True))
        commands += _port_changes(want, kernel[name])
    return commands


def _port_changes(want: IfaceConfig, have: KernelIface) -> list[list[str]]:
    name = have.name
    out: list[list[str]] = []
    if (want.alias or "") != have.alias:
        out.append(["ip", "link", "set", "dev", name, "alias", want.alias or ""])
    mtu = want.mtu or DEFAULT_MTU
    if mtu != have.mtu:
        out.append(["ip", "link", "set", "dev", name, "mtu", str(mtu)])
    out += _address_changes(name, have.addresses, want.addresses)
    if want.link_down == have.admin_up:
        out.append(["ip", "link", "set", "dev", name, "down" if want.link_down else "up"])
    return out


def _address_changes(name: str, have: Sequence[str], want: Sequence[str]) -> list[list[str]]:
    removed = [["ip", "addr", "del", a, "dev", name] for a in have if a not in want]
    added = [["ip", "addr", "add", a, "dev", name] for a in want if a not in have]
    return removed + added
