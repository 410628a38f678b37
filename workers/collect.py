"""Telemetry collection: NAPALM getters on one device, mapped to observations, ingested."""

from __future__ import annotations

from typing import Any

GETTERS = (
    "get_facts",
    "get_interfaces",
    "get_lldp_neighbors_detail",
    "get_bgp_neighbors",
    "get_optics",
)


def run_getters(driver: Any) -> dict[str, Any]:
    """Every getter the collector maps; a getter that fails is reported under ``errors``.

    Routes come from one ``get_route_to`` of the whole RIB (one command per device
    instead of one per expected loopback); the running config from ``get_config``.
    """
    result: dict[str, Any] = {"errors": {}}
    calls: dict[str, Any] = {name: getattr(driver, name) for name in GETTERS}
    calls["get_route_to"] = lambda: driver.get_route_to(destination="")
    calls["running_config"] = lambda: driver.get_config(retrieve="running")["running"]
    for name, call in calls.items():
        try:
            result[name] = call()
        except Exception as exc:  # NAPALM drivers raise their own exception kinds
            result["errors"][name] = f"{type(exc).__name__}: {exc}"
    return result
