"""``/etc/network/interfaces`` (an ifupdown2 subset): parse, render, compare with the kernel.

Pure functions only: the kernel state comes in as the JSON of ``ip -j -d addr show``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

DEFAULT_MTU = 1500
SUPPORTED_OPTIONS = (
    "address",
    "alias",
    "mtu",
    "link-speed",
    "link-down",
    "hwaddress",
    "vrf",
    "vrf-table",
    "vxlan-id",
    "vxlan-local-tunnelip",
    "bridge-vlan-aware",
    "bridge-ports",
    "bridge-vids",
    "bridge-access",
    "bridge-learning",
    "bridge-arp-nd-suppress",
    "vlan-id",
    "vlan-raw-device",
)
NOT_YET_SUPPORTED = ("bond-slaves", "bond-mode")
VIRTUAL_KINDS = ("vrf", "vxlan", "bridge", "vlan")  # created and deleted by the driver
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_IFNAME = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")


class InterfacesError(ValueError):
    """The interfaces file is not in the supported subset."""


@dataclass(frozen=True)
class IfaceConfig:
    name: str
    loopback: bool = False
    addresses: tuple[str, ...] = ()
    alias: str | None = None
    mtu: int | None = None
    link_speed: int | None = None
    link_down: bool = False
    hwaddress: str | None = None
    vrf: str | None = None  # the VRF this device is enslaved to
    vrf_table: bool = False  # ``vrf-table auto``: the stanza is a VRF device
    vxlan_id: int | None = None
    vxlan_local: str | None = None
    bridge_vlan_aware: bool = False
    bridge_ports: tuple[str, ...] = ()
    bridge_vids: tuple[int, ...] = ()  # on a port: tagged VLANs; on the bridge: its own
    bridge_access: int | None = None  # untagged VLAN (PVID) of a bridge member
    bridge_learning: bool = True
    arp_nd_suppress: bool = False
    vlan_id: int | None = None
    vlan_raw_device: str | None = None

    @property
    def kind(self) -> str:
        """``vrf``, ``vxlan``, ``bridge``, ``vlan`` (devices the driver creates) or ``port``."""
        if self.vrf_table:
            return "vrf"
        if self.vxlan_id is not None:
            return "vxlan"
        if self.bridge_vlan_aware or self.bridge_ports:
            return "bridge"
        if self.vlan_id is not None:
            return "vlan"
        return "port"


@dataclass
class _Stanza:
    name: str
    loopback: bool = False
    options: list[tuple[int, str, str]] = field(default_factory=list)


def natural_key(name: str) -> tuple[Any, ...]:
    """``swp2`` before ``swp10``; ``lo`` first."""
    if name == "lo":
        return (0,)
    return (1, *[int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name) if p])


def parse_interfaces(text: str) -> dict[str, IfaceConfig]:
    """Parse the file; every problem names its line and what is allowed."""
    stanzas: dict[str, _Stanza] = {}
    autos: set[str] = set()
    current: _Stanza | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        if words[0] == "auto" and not raw.startswith(" "):
            autos.update(words[1:])
            current = None
        elif words[0] == "iface" and not raw.startswith(" "):
            current = _open_stanza(words, number, stanzas)
        elif current is not None and raw.startswith((" ", "\t")):
            key, _, value = line.partition(" ")
            current.options.append((number, key, value.strip()))
        else:
            raise InterfacesError(
                f"line {number}: unexpected {line!r}; allowed: 'auto <if>', 'iface <if>', "
                "or an indented option under an iface"
            )
    missing_auto = sorted(set(stanzas) - autos, key=natural_key)
    if missing_auto:
        raise InterfacesError(f"iface {missing_auto[0]!r} has no 'auto {missing_auto[0]}' line")
    built = {
        name: _build(st) for name, st in sorted(stanzas.items(), key=lambda i: natural_key(i[0]))
    }
    check_references(built)
    return built


def _open_stanza(words: list[str], number: int, stanzas: dict[str, _Stanza]) -> _Stanza:
    if len(words) < 2:
        raise InterfacesError(f"line {number}: 'iface' needs an interface name")
    name = words[1]
    if name in stanzas:
        raise InterfacesError(f"line {number}: interface {name!r} is defined twice")
    rest = words[2:]
    if rest not in ([], ["inet", "loopback"], ["inet", "static"]):
        raise InterfacesError(
            f"line {number}: unsupported method {' '.join(rest)!r}; "
            "allowed: nothing, 'inet loopback' (lo) or 'inet static'"
        )
    stanza = _Stanza(name=name, loopback=rest == ["inet", "loopback"])
    stanzas[name] = stanza
    return stanza


def _build(stanza: _Stanza) -> IfaceConfig:
    cfg = IfaceConfig(name=stanza.name, loopback=stanza.loopback)
    for number, key, value in stanza.options:
        cfg = _apply_option(cfg, number, key, value)
    return cfg


def _apply_option(cfg: IfaceConfig, number: int, key: str, value: str) -> IfaceConfig:
    where = f"line {number} ({cfg.name})"
    if key in NOT_YET_SUPPORTED:
        raise InterfacesError(
            f"{where}: option {key!r} is not supported by this driver version; "
            f"allowed: {', '.join(SUPPORTED_OPTIONS)}"
        )
    if key in _TENANT_OPTIONS:
        return _TENANT_OPTIONS[key](cfg, where, value)
    if key == "address":
        return replace(cfg, addresses=(*cfg.addresses, _interface_address(where, value)))
    if key == "alias":
        return replace(cfg, alias=value)
    if key == "mtu":
        return replace(cfg, mtu=_whole(where, key, value, 68, 65535))
    if key == "link-speed":
        return replace(cfg, link_speed=_whole(where, key, value, 1, 1_600_000))
    if key == "link-down":
        if value not in ("yes", "no"):
            raise InterfacesError(f"{where}: link-down {value!r}; allowed: yes, no")
        return replace(cfg, link_down=value == "yes")
    raise InterfacesError(
        f"{where}: unknown option {key!r}; allowed: {', '.join(SUPPORTED_OPTIONS)}"
    )


def _yes_no(where: str, key: str, value: str, yes: str = "yes", no: str = "no") -> bool:
    if value not in (yes, no):
        raise InterfacesError(f"{where}: {key} {value!r}; allowed: {yes}, {no}")
    return value == yes


def _name(where: str, key: str, value: str) -> str:
    if not _IFNAME.match(value):
        raise InterfacesError(
            f"{where}: {key} {value!r} is not an interface name; "
            "allowed: 1-15 letters, digits, '-', '_' or '.'"
        )
    return value


def _vlan_list(where: str, key: str, value: str) -> tuple[int, ...]:
    words = value.split()
    if not words:
        raise InterfacesError(f"{where}: {key} needs at least one VLAN; allowed: 1..4094")
    vids = [_whole(where, key, word, 1, 4094) for word in words]
    if len(set(vids)) != len(vids):
        raise InterfacesError(f"{where}: {key} {value!r} repeats a VLAN; allowed: each once")
    return tuple(sorted(vids))


def _opt_hwaddress(cfg: IfaceConfig, where: str, value: str) -> IfaceConfig:
    mac = value.lower()
    if not _MAC.match(mac) or int(mac[:2], 16) & 1:
        raise InterfacesError(
            f"{where}: hwaddress {value!r} is invalid; "
            "allowed: a unicast MAC, e.g. 00:00:5e:00:01:01"
        )
    return replace(cfg, hwaddress=mac)


def _opt_vrf_table(cfg: IfaceConfig, where: str, value: str) -> IfaceConfig:
    if value != "auto":
        raise InterfacesError(f"{where}: vrf-table {value!r}; allowed: auto")
    return replace(cfg, vrf_table=True)


def _opt_vxlan_local(cfg: IfaceConfig, where: str, value: str) -> IfaceConfig:
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        raise InterfacesError(
            f"{where}: vxlan-local-tunnelip {value!r}; allowed: an IPv4 address (the loopback)"
        ) from None
    return replace(cfg, vxlan_local=str(address))


def _opt_bridge_ports(cfg: IfaceConfig, where: str, value: str) -> IfaceConfig:
    ports = tuple(_name(where, "bridge-ports", word) for word in value.split())
    if not ports or len(set(ports)) != len(ports):
        raise InterfacesError(
            f"{where}: bridge-ports {value!r}; allowed: one or more distinct interface names"
        )
    return replace(cfg, bridge_ports=tuple(sorted(ports, key=natural_key)))


_TENANT_OPTIONS: dict[str, Callable[[IfaceConfig, str, str], IfaceConfig]] = {
    "hwaddress": _opt_hwaddress,
    "vrf": lambda c, w, v: replace(c, vrf=_name(w, "vrf", v)),
    "vrf-table": _opt_vrf_table,
    "vxlan-id": lambda c, w, v: replace(c, vxlan_id=_whole(w, "vxlan-id", v, 1, 16_777_215)),
    "vxlan-local-tunnelip": _opt_vxlan_local,
    "bridge-vlan-aware": lambda c, w, v: replace(
        c, bridge_vlan_aware=_yes_no(w, "bridge-vlan-aware", v)
    ),
    "bridge-ports": _opt_bridge_ports,
    "bridge-vids": lambda c, w, v: replace(c, bridge_vids=_vlan_list(w, "bridge-vids", v)),
    "bridge-access": lambda c, w, v: replace(
        c, bridge_access=_whole(w, "bridge-access", v, 1, 4094)
    ),
    "bridge-learning": lambda c, w, v: replace(
        c, bridge_learning=_yes_no(w, "bridge-learning", v, "on", "off")
    ),
    "bridge-arp-nd-suppress": lambda c, w, v: replace(
        c, arp_nd_suppress=_yes_no(w, "bridge-arp-nd-suppress", v, "on", "off")
    ),
    "vlan-id": lambda c, w, v: replace(c, vlan_id=_whole(w, "vlan-id", v, 1, 4094)),
    "vlan-raw-device": lambda c, w, v: replace(c, vlan_raw_device=_name(w, "vlan-raw-device", v)),
}


def check_references(ifaces: Mapping[str, IfaceConfig]) -> None:
    """Each device has one kind, and every VRF, bridge and lower device it names is defined."""
    members: dict[str, str] = {}
    for cfg in ifaces.values():
        _check_kind(cfg)
        for port in cfg.bridge_ports:
            if port in members:
                raise InterfacesError(
                    f"{port} is a port of bridges {members[port]} and {cfg.name}; "
                    "allowed: one bridge per port"
                )
            members[port] = cfg.name
            if port not in ifaces or ifaces[port].kind not in ("port", "vxlan"):
                raise InterfacesError(
                    f"bridge {cfg.name}: bridge-ports names {port!r}, which has no stanza of "
                    "a port or VXLAN device; allowed: ports and VXLAN devices defined here"
                )
    for cfg in ifaces.values():
        _check_membership(cfg, ifaces, members.get(cfg.name))


def _check_kind(cfg: IfaceConfig) -> None:
    kinds = [
        kind
        for kind, present in (
            ("vrf-table", cfg.vrf_table),
            ("vxlan-id", cfg.vxlan_id is not None),
            ("bridge-ports/bridge-vlan-aware", cfg.bridge_vlan_aware or bool(cfg.bridge_ports)),
            ("vlan-id", cfg.vlan_id is not None),
        )
        if present
    ]
    if len(kinds) > 1 or (kinds and cfg.loopback):
        raise InterfacesError(
            f"{cfg.name}: options {' and '.join(kinds) or 'inet loopback'} define different "
            "kinds of device; allowed: one of vrf-table, vxlan-id, bridge-ports, vlan-id"
        )
    if cfg.vxlan_id is not None and cfg.vxlan_local is None:
        raise InterfacesError(
            f"{cfg.name}: a VXLAN device needs vxlan-local-tunnelip; allowed: the loopback address"
        )
    if cfg.vlan_id is not None and cfg.vlan_raw_device is None:
        raise InterfacesError(
            f"{cfg.name}: vlan-id needs vlan-raw-device; allowed: the VLAN-aware bridge's name"
        )


def _check_membership(
    cfg: IfaceConfig, ifaces: Mapping[str, IfaceConfig], bridge: str | None
) -> None:
    if cfg.vrf is not None and (cfg.vrf not in ifaces or ifaces[cfg.vrf].kind != "vrf"):
        raise InterfacesError(
            f"{cfg.name}: vrf {cfg.vrf!r} has no stanza with 'vrf-table auto'; "
            f"allowed: {', '.join(n for n, c in ifaces.items() if c.kind == 'vrf') or 'none'}"
        )
    if cfg.vlan_raw_device is not None:
        lower = ifaces.get(cfg.vlan_raw_device)
        if lower is None or not lower.bridge_vlan_aware:
            raise InterfacesError(
                f"{cfg.name}: vlan-raw-device {cfg.vlan_raw_device!r} is not a VLAN-aware "
                "bridge defined here; allowed: a stanza with 'bridge-vlan-aware yes'"
            )
    vlan_options = cfg.bridge_access is not None or (cfg.bridge_vids and cfg.kind != "bridge")
    aware = bridge is not None and ifaces[bridge].bridge_vlan_aware
    if vlan_options and not aware:
        raise InterfacesError(
            f"{cfg.name}: bridge-access/bridge-vids on a device that is not a port of a "
            "VLAN-aware bridge; allowed: list it in the bridge-ports of a 'bridge-vlan-aware yes' "
            "bridge"
        )
    if bridge is None and (not cfg.bridge_learning or cfg.arp_nd_suppress):
        raise InterfacesError(
            f"{cfg.name}: bridge-learning/bridge-arp-nd-suppress on a device that is no "
            "bridge's port; allowed: only on ports listed in bridge-ports"
        )


def _whole(where: str, key: str, value: str, low: int, high: int) -> int:
    if not value.isdigit() or not low <= int(value) <= high:
        raise InterfacesError(f"{where}: {key} {value!r} is invalid; allowed: {low}..{high}")
    return int(value)


def _interface_address(where: str, value: str) -> str:
    try:
        iface = ipaddress.IPv4Interface(value)
    except ValueError as exc:
        raise InterfacesError(f"{where}: address {value!r} is not IPv4 address/prefix") from exc
    if "/" not in value:
        raise InterfacesError(f"{where}: address {value!r} needs a prefix length, e.g. /31")
    return str(iface)


def stanza_order(cfg: IfaceConfig) -> tuple[Any, ...]:
    """lo, then ports in natural order, then VRFs, VXLAN devices, bridges and SVIs."""
    group = 0 if cfg.kind == "port" else 1 + VIRTUAL_KINDS.index(cfg.kind)
    return (group, natural_key(cfg.name))


def _option_lines(cfg: IfaceConfig) -> list[str]:
    values: list[tuple[str, object]] = [
        ("alias", cfg.alias),
        ("mtu", cfg.mtu),
        ("link-speed", cfg.link_speed),
        ("vrf-table", "auto" if cfg.vrf_table else None),
        ("vxlan-id", cfg.vxlan_id),
        ("vxlan-local-tunnelip", cfg.vxlan_local),
        ("bridge-vlan-aware", "yes" if cfg.bridge_vlan_aware else None),
        ("bridge-ports", " ".join(cfg.bridge_ports) or None),
        ("bridge-vids", " ".join(map(str, cfg.bridge_vids)) or None),
        ("bridge-access", cfg.bridge_access),
        ("bridge-learning", None if cfg.bridge_learning else "off"),
        ("bridge-arp-nd-suppress", "on" if cfg.arp_nd_suppress else None),
        ("vlan-id", cfg.vlan_id),
        ("vlan-raw-device", cfg.vlan_raw_device),
        ("hwaddress", cfg.hwaddress),
        *(("address", addr) for addr in cfg.addresses),
        ("vrf", cfg.vrf),
        ("link-down", "yes" if cfg.link_down else None),
    ]
    return [f"    {key} {value}" for key, value in values if value is not None]


def render_interfaces(ifaces: Iterable[IfaceConfig]) -> str:
    """Canonical text: lo first, ports in natural order, then the virtual devices by kind."""
    blocks: list[str] = []
    for cfg in sorted(ifaces, key=stanza_order):
        lines = [
            f"auto {cfg.name}",
            f"iface {cfg.name}" + (" inet loopback" if cfg.loopback else ""),
            *_option_lines(cfg),
        ]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def merge_interfaces(
    base: Mapping[str, IfaceConfig], extra: Mapping[str, IfaceConfig]
) -> dict[str, IfaceConfig]:
    """Stanzas of ``extra`` replace the same stanzas of ``base``; others are kept."""
    merged = dict(base)
    merged.update(extra)
    return merged


def check_ports(ifaces: Mapping[str, IfaceConfig], device_ports: Iterable[str]) -> None:
    """Every port named must exist on the device (``lo`` always does; virtual devices are
    created by the push)."""
    known = set(device_ports) | {"lo"}
    named = {name for name, cfg in ifaces.items() if cfg.kind == "port"}
    unknown = sorted(named - known, key=natural_key)
    if unknown:
        raise InterfacesError(
            f"interface(s) {', '.join(unknown)} do not exist on the device; "
            f"allowed: {', '.join(sorted(known, key=natural_key))}, or a VRF, VXLAN device, "
            "bridge or SVI stanza (vrf-table, vxlan-id, bridge-ports, vlan-id)"
        )
