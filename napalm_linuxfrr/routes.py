"""``get_route_to`` from ``show ip route <destination> json``. Pure."""

from __future__ import annotations

import json
import re
from typing import Any

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def age_seconds(uptime: str) -> int:
    """FRR uptimes: ``00:01:02`` (under a day) or ``1d02h03m`` / ``2w3d04h``."""
    if ":" in uptime:
        hours, minutes, seconds = (int(p) for p in uptime.split(":"))
        return hours * 3600 + minutes * 60 + seconds
    return sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)([wdhms])", uptime))


def parse_route_to(text: str, protocol: str = "") -> dict[str, list[dict[str, Any]]]:
    """One NAPALM route entry per next hop, keyed by prefix."""
    result: dict[str, list[dict[str, Any]]] = {}
    for prefix, entries in json.loads(text or "{}").items():
        for entry in entries:
            if protocol and entry.get("protocol") != protocol:
                continue
            selected = bool(entry.get("selected", False))
            for hop in entry.get("nexthops", []):
                result.setdefault(prefix, []).append(
                    {
                        "protocol": str(entry.get("protocol", "")),
                        "current_active": selected,
                        "last_active": selected,
                        "age": age_seconds(str(entry.get("uptime", "0:0:0"))),
                        "next_hop": str(hop.get("ip", "")),
                        "outgoing_interface": str(hop.get("interfaceName", "")),
                        "selected_next_hop": bool(hop.get("fib", False)),
                        "preference": int(entry.get("distance", 0)),
                        "inactive_reason": "" if selected else "not selected",
                        "routing_table": str(entry.get("vrfName", "default")),
                        "protocol_attributes": {"metric": int(entry.get("metric", 0))},
                    }
                )
    return result
