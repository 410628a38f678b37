"""lldpd: the supported ``fabricgraph.conf`` lines, its running config, neighbours. Pure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from napalm_linuxfrr.ifaces import natural_key

SUPPORTED = (
    "configure system hostname <name>",
    "configure lldp tx-interval <seconds>",
    "configure lldp portidsubtype ifname|macaddress",
)
DEFAULT_TX_INTERVAL = 30


class LldpConfigError(ValueError):
    """A line of the lldpd file is outside the supported subset."""


def parse_lldpd_conf(text: str) -> dict[str, str]:
    """``{"hostname": .., "tx-interval": .., "portidsubtype": ..}`` from the file."""
    settings: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        key, value = _setting(words)
        if key is None:
            allowed = "; ".join(SUPPORTED)
            raise LldpConfigError(
                f"line {number}: unsupported lldpd command {line!r}; allowed: {allowed}"
            )
        settings[key] = value
    return settings


def _setting(words: list[str]) -> tuple[str | None, str]:
    if len(words) == 4 and words[:3] == ["configure", "system", "hostname"]:
        return "hostname", words[3]
    if len(words) != 4:
        return None, ""
    if words[:3] == ["configure", "lldp", "tx-interval"] and _seconds(words[3]):
        return "tx-interval", words[3]
    if words[:3] == ["configure", "lldp", "portidsubtype"] and words[3] in ("ifname", "macaddress"):
        return "portidsubtype", words[3]
    return None, ""


def _seconds(text: str) -> bool:
    return text.isdigit() and 1 <= int(text) <= 3600


def render_lldpd_conf(settings: dict[str, str]) -> str:
    lines = []
    if "hostname" in settings:
        lines.append(f"configure system hostname {settings['hostname']}")
    if "tx-interval" in settings:
        lines.append(f"configure lldp tx-interval {settings['tx-interval']}")
    if "portidsubtype" in settings:
        lines.append(f"configure lldp portidsubtype {settings['portidsubtype']}")
    return "\n".join(lines) + "\n" if lines else ""


def apply_commands(settings: dict[str, str]) -> list[list[str]]:
    """lldpcli arguments that set exactly ``settings`` (absent ones back to defaults)."""
    commands: list[list[str]] = [["resume"]]
    if "hostname" in settings:
        commands.append(["configure", "system", "hostname", settings["hostname"]])
    else:
        commands.append(["unconfigure", "system", "hostname"])
    interval = settings.get("tx-interval", str(DEFAULT_TX_INTERVAL))
    commands.append(["configure", "lldp", "tx-interval", interval])
    subtype = settings.get("portidsubtype", "macaddress")
    commands.append(["configure", "lldp", "portidsubtype", subtype])
    return commands


def changed_commands(text: str, running: str | None) -> list[list[str]]:
    """lldpcli arguments that bring lldpd from ``running`` (its settings rendered as a
    file, None = unknown) to the file ``text``: only ``resume`` when they are the same."""
    settings = parse_lldpd_conf(text)
    if running is not None and render_lldpd_conf(settings) == running:
        return [["resume"]]
    return apply_commands(settings)


def running_settings(config_json: str) -> dict[str, str]:
    """``lldpcli -f json show configuration`` → the supported settings."""
    config = json.loads(config_json)["configuration"]["config"]
    settings: dict[str, str] = {}
    if config.get("hostname", "(none)") != "(none)":
        settings["hostname"] = str(config["hostname"])
    settings["tx-interval"] = str(config.get("tx-delay", DEFAULT_TX_INTERVAL))
    if config.get("lldp-portid-type") in ("ifname", "macaddress"):
        settings["portidsubtype"] = str(config["lldp-portid-type"])
    return settings


def _interfaces(neighbors_json: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """lldpcli gives one object, or a list of objects, under ``lldp.interface``."""
    lldp = json.loads(neighbors_json or "{}").get("lldp", {})
    raw = lldp.get("interface", []) if isinstance(lldp, dict) else []
    items = raw if isinstance(raw, list) else [raw]
    for item in items:
        yield from item.items()


def _chassis(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    chassis = data.get("chassis", {})
    if "id" in chassis:
        return str(chassis.get("name", "")), chassis
    for name, body in chassis.items():
        return str(name), body
    return "", {}


def _port_name(port: dict[str, Any]) -> str:
    ident = port.get("id", {})
    if ident.get("type") == "ifname":
        return str(ident.get("value", ""))
    return str(port.get("descr") or ident.get("value", ""))


def parse_neighbors(neighbors_json: str) -> dict[str, list[dict[str, str]]]:
    result: dict[str, list[dict[str, str]]] = {}
    for name, data in _interfaces(neighbors_json):
        hostname, _ = _chassis(data)
        entry = {"hostname": hostname, "port": _port_name(data.get("port", {}))}
        result.setdefault(name, []).append(entry)
    return dict(sorted(result.items(), key=lambda kv: natural_key(kv[0])))


def parse_neighbors_detail(neighbors_json: str) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {}
    for name, data in _interfaces(neighbors_json):
        hostname, chassis = _chassis(data)
        port = data.get("port", {})
        caps = chassis.get("capability", [])
        caps = caps if isinstance(caps, list) else [caps]
        entry = {
            "parent_interface": "",
            "remote_port": _port_name(port),
            "remote_chassis_id": str(chassis.get("id", {}).get("value", "")),
            "remote_port_description": str(port.get("descr", "")),
            "remote_system_name": hostname,
            "remote_system_description": str(chassis.get("descr", "")),
            "remote_system_capab": sorted(str(c["type"]).lower() for c in caps),
            "remote_system_enable_capab": sorted(
                str(c["type"]).lower() for c in caps if c.get("enabled")
            ),
        }
        result.setdefault(name, []).append(entry)
    return dict(sorted(result.items(), key=lambda kv: natural_key(kv[0])))
