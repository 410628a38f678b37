"""EVPN state as the driver reports it: FRR's ``show evpn vni detail json``. Pure."""

from __future__ import annotations

import json
from typing import Any


class EvpnOutputError(ValueError):
    """FRR's EVPN output is not the JSON this driver reads."""


def parse_vnis(text: str) -> dict[str, dict[str, Any]]:
    """``show evpn vni detail json`` → VNIs by number (as text), e.g.::

        {"10100": {"type": "l2", "vrf": "blue", "local_vtep": "10.0.0.11",
                   "interface": "vni10100", "svi": "vlan100", "remote_vteps": ["10.0.0.12"],
                   "macs": 2, "l2_vnis": [], "state": "up"},
         "10001": {"type": "l3", "vrf": "blue", "local_vtep": "10.0.0.11",
                   "interface": "vni10001", "svi": "br10001", "remote_vteps": [],
                   "macs": 0, "l2_vnis": [10100], "state": "up"}}

    An L2 VNI FRR lists is ``up`` (zebra lists only VNIs whose VXLAN device it knows);
    an L3 VNI carries FRR's own state (``down`` while its VRF or SVI is missing).
    """
    try:
        items = json.loads(text) if text.strip() else []
    except ValueError as exc:
        raise EvpnOutputError(f"show evpn vni detail json is not JSON: {exc}") from None
    if isinstance(items, dict):  # a single VNI is printed as an object
        items = [items] if "vni" in items else []
    if not isinstance(items, list):
        raise EvpnOutputError("show evpn vni detail json: expected a list of VNIs")
    result: dict[str, dict[str, Any]] = {}
    for item in items:
        if not isinstance(item, dict) or "vni" not in item:
            continue
        layer3 = str(item.get("type", "")).upper() == "L3"
        remote = item.get("numRemoteVteps", [])
        result[str(item["vni"])] = {
            "type": "l3" if layer3 else "l2",
            "vrf": str(item.get("vrf", "default")),
            "local_vtep": str(item.get("localVtepIp" if layer3 else "vtepIp", "")),
            "interface": str(item.get("vxlanIntf" if layer3 else "vxlanInterface", "")),
            "svi": str(item.get("sviIntf" if layer3 else "sviInterface", "")),
            "remote_vteps": sorted(str(v) for v in remote) if isinstance(remote, list) else [],
            "macs": int(item.get("numMacs", 0) or 0),
            "l2_vnis": sorted(int(v) for v in item.get("l2Vnis", [])),
            "state": str(item.get("state", "up")).lower(),
        }
    return result


def vxlan_up(text: str) -> dict[str, bool]:
    """``ip -j link show type vxlan`` → each VXLAN device's name and whether it is up
    (administratively up with its lower layer up; a VXLAN device's operstate is often
    ``UNKNOWN`` while it works, so the flags decide)."""
    try:
        links = json.loads(text) if text.strip() else []
    except ValueError as exc:
        raise EvpnOutputError(f"ip -j link show type vxlan is not JSON: {exc}") from None
    if not isinstance(links, list):
        raise EvpnOutputError("ip -j link show type vxlan: expected a list of links")
    out: dict[str, bool] = {}
    for link in links:
        if isinstance(link, dict) and isinstance(link.get("ifname"), str):
            flags = link.get("flags") or []
            out[link["ifname"]] = "UP" in flags and "LOWER_UP" in flags
    return out


def with_links(
    vnis: dict[str, dict[str, Any]], links: dict[str, bool]
) -> dict[str, dict[str, Any]]:
    """The VNIs with an L2 VNI whose VXLAN device is down (or gone from the kernel while
    zebra still lists it) reported ``down``: zebra lists an L2 VNI without a state."""
    out = {}
    for number, vni in vnis.items():
        device = vni["interface"]
        if vni["type"] == "l2" and device and not links.get(device, False):
            vni = {**vni, "state": "down"}
        out[number] = vni
    return out
