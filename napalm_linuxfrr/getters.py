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
