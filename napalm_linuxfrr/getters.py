"""Facts, interfaces, addresses and optics in NAPALM's models, from command outputs. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from napalm.base.helpers import mac as napalm_mac

from napalm_linuxfrr.ifaces import natural_key
from napalm_linuxfrr.kernel import KernelIface, Record

VENDOR = "FRRouting"


def os_version(show_version: str) -> str:
    """First line of ``show version``: ``FRRouting 8.4.4 (host) on Linux(6.1.0)``."""
    first = show_version.strip().splitlines()[0] if show_version.strip() else ""
    words = first.split()
    if len(words) >= 2 and words[0] == "FRRouting":
        kernel = first.rsplit(" on ", 1)[-1] if " on " in first else ""
        return f"FRRouting {words[1]}" + (f" on {kernel.rstrip('.')}" if kernel else "")
    return first


def facts(
    hostname: str,
    show_version: str,
    uptime_text: str,
    kernel: Mapping[str, KernelIface],
    serial: str,
    model: str,
) -> dict[str, Any]:
    uptime = float(uptime_text.split()[0]) if uptime_text.strip() else -1.0
    return {
        "hostname": hostname,
        "fqdn": hostname,
        "vendor": VENDOR,
        "model": model,
        "serial_number": serial,
        "os_version": os_version(show_version),
        "uptime": uptime,
        "interface_list": sorted(kernel, key=natural_key),
    }


def _mac(value: str) -> str:
    try:
        return str(napalm_mac(value)) if value else ""
    except (ValueError, TypeError):
        return value


def interfaces(kernel: Mapping[str, KernelIface], record: Record) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in sorted(kernel, key=natural_key):
        k = kernel[name]
        result[name] = {
            "is_up": k.oper_up,
            "is_enabled": k.admin_up,
            "description": k.alias,
            "last_flapped": -1.0,
            "mtu": k.mtu,
            "speed": float(record.speed(name) or 0),
            "mac_address": _mac(k.mac),
        }
    return result


def interfaces_ip(kernel: Mapping[str, KernelIface]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in sorted(kernel, key=natural_key):
        addrs = kernel[name].addresses
        if addrs:
            result[name] = {
                "ipv4": {a.split("/")[0]: {"prefix_length": int(a.split("/")[1])} for a in addrs}
            }
    return result


def _reading(value: float) -> dict[str, float]:
    return {"instant": value, "avg": value, "min": value, "max": value}


def optics(transceivers_text: str) -> dict[str, Any]:
    """The transceivers file (DOM readings per lane) in NAPALM's ``get_optics`` shape.

    NAPALM's TypedDict names the list ``channels`` but its drivers and its own test
    suite use ``channel``; this follows the drivers.
    """
    modules = json.loads(transceivers_text or "{}")
    result: dict[str, Any] = {}
    for port in sorted(modules, key=natural_key):
        channels = [
            {
                "index": int(lane["index"]),
                "state": {
                    "input_power": _reading(float(lane["rx_power_dbm"])),
                    "output_power": _reading(float(lane["tx_power_dbm"])),
                    "laser_bias_current": _reading(float(lane["laser_bias_ma"])),
                },
            }
            for lane in modules[port]["lanes"]
        ]
        result[port] = {"physical_channels": {"channel": channels}}
    return result


def _count(block: Mapping[str, Any], key: str) -> int:
    value = block.get(key)
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else -1


def interfaces_counters(ip_stats_text: str) -> dict[str, Any]:
    """``ip -s -j link show`` → NAPALM's ``get_interfaces_counters``: the kernel's own
    64-bit counters per interface (``stats64``). The kernel counts dropped packets as
    discards; it splits neither unicast from broadcast nor sent multicast, so
    ``rx_unicast_packets`` is received packets less multicast and the counters it does
    not keep are -1."""
    result: dict[str, Any] = {}
    for link in json.loads(ip_stats_text or "[]"):
        name = str(link.get("ifname", ""))
        stats = link.get("stats64") or link.get("stats") or {}
        rx, tx = stats.get("rx") or {}, stats.get("tx") or {}
        if not name or not rx or not tx:
            continue
        rx_packets, rx_multicast = _count(rx, "packets"), _count(rx, "multicast")
        result[name] = {
            "rx_octets": _count(rx, "bytes"),
            "tx_octets": _count(tx, "bytes"),
            "rx_errors": _count(rx, "errors"),
            "tx_errors": _count(tx, "errors"),
            "rx_discards": _count(rx, "dropped"),
            "tx_discards": _count(tx, "dropped"),
            "rx_unicast_packets": (
                rx_packets - rx_multicast if rx_packets >= 0 and rx_multicast >= 0 else -1
            ),
            "tx_unicast_packets": _count(tx, "packets"),
            "rx_multicast_packets": rx_multicast,
            "tx_multicast_packets": -1,
            "rx_broadcast_packets": -1,
            "tx_broadcast_packets": -1,
        }
    return dict(sorted(result.items(), key=lambda kv: natural_key(kv[0])))
