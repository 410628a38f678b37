"""``/etc/network/interfaces`` (an ifupdown2 subset): parse, render, compare with the kernel.

Pure functions only: the kernel state comes in as the JSON of ``ip -j -d addr show``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

DEFAULT_MTU = 1500
SUPPORTED_OPTIONS = ("address", "alias", "mtu", "link-speed", "link-down")
NOT_YET_SUPPORTED = (
    "bond-slaves",
    "bond-mode",
    "bridge-vlan-aware",
    "bridge-ports",
    "bridge-vids",
    "bridge-access",
    "vlan-id",
    "vlan-raw-device",
    "vrf",
    "vrf-table",
)


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
    return {
        name: _build(st) for name, st in sorted(stanzas.items(), key=lambda i: natural_key(i[0]))
    }


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


def render_interfaces(ifaces: Iterable[IfaceConfig]) -> str:
    """Canonical text: lo first, natural port order, options in a fixed order."""
    blocks: list[str] = []
    for cfg in sorted(ifaces, key=lambda c: natural_key(c.name)):
        lines = [
            f"auto {cfg.name}",
            f"iface {cfg.name}" + (" inet loopback" if cfg.loopback else ""),
        ]
        if cfg.alias is not None:
            lines.append(f"    alias {cfg.alias}")
        if cfg.mtu is not None:
            lines.append(f"    mtu {cfg.mtu}")
        if cfg.link_speed is not None:
            lines.append(f"    link-speed {cfg.link_speed}")
        lines.extend(f"    address {addr}" for addr in cfg.addresses)
        if cfg.link_down:
            lines.append("    link-down yes")
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
    """Every interface named must exist on the device (``lo`` always does)."""
    known = set(device_ports) | {"lo"}
    unknown = sorted(set(ifaces) - known, key=natural_key)
    if unknown:
        raise InterfacesError(
            f"interface(s) {', '.join(unknown)} do not exist on the device; "
            f"allowed: {', '.join(sorted(known, key=natural_key))}"
        )
