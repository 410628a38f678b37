"""A small fabric's catalogue entries, as the API receives them, and what they imply.

      spine1        spine2           spines: 8 x 10G leaf-facing ports each
        | \\ ... / |
      pair racks (2 leafs, 2 dual-homed servers) x2, single racks (1 leaf, 3 servers) x1

Expected counts are worked out from these definitions here, never by the engine.
"""

from __future__ import annotations

from typing import Any

Definition = dict[str, Any]


def small_fabric(suffix: str) -> list[tuple[str, Definition]]:
    """(kind, definition) in an order where every reference already exists."""
    spine, leaf, server = (f"t-{role}-{suffix}" for role in ("spine", "leaf", "server"))
    profile = f"t-vswitch-8x10-{suffix}"
    return [
        (
            "logical_devices",
            {"name": spine, "port_groups": [{"count": 8, "speed_mbps": 10000, "roles": ["leaf"]}]},
        ),
        (
            "logical_devices",
            {
                "name": leaf,
                "port_groups": [
                    {"count": 2, "speed_mbps": 10000, "roles": ["spine"]},
                    {"count": 6, "speed_mbps": 10000, "roles": ["server"]},
                ],
            },
        ),
        (
            "logical_devices",
            {"name": server, "port_groups": [{"count": 2, "speed_mbps": 10000, "roles": ["leaf"]}]},
        ),
        (
            "device_profiles",
            {
                "name": profile,
                "hardware_model": "test vswitch",
                "nos": "linux_frr",
                "ports": [{"prefix": "swp", "first": 1, "count": 8, "speed_mbps": 10000}],
            },
        ),
        (
            "interface_maps",
            {
                "name": f"{spine}-map",
                "logical_device": spine,
                "device_profile": profile,
                "ports": [{"logical_first": 1, "physical_first": "swp1", "count": 8}],
            },
        ),
        (
            "interface_maps",
            {
                "name": f"{leaf}-map",
                "logical_device": leaf,
                "device_profile": profile,
                "ports": [{"logical_first": 1, "physical_first": "swp1", "count": 8}],
            },
        ),
        (
            "rack_types",
            {
                "name": f"t-pair-{suffix}",
                "leafs": "pair",
                "leaf": {"logical_device": leaf, "device_profile": profile},
                "servers": {"count": 2, "logical_device": server, "homing": "dual"},
            },
        ),
        (
            "rack_types",
            {
                "name": f"t-single-{suffix}",
                "leafs": "single",
                "leaf": {"logical_device": leaf, "device_profile": profile},
                "servers": {"count": 3, "logical_device": server, "homing": "single"},
            },
        ),
        (
            "templates",
            {
                "name": f"t-fabric-{suffix}",
                "overlay": "ip_fabric",
                "spines": {"count": 2, "logical_device": spine, "device_profile": profile},
                "racks": [
                    {"rack_type": f"t-pair-{suffix}", "count": 2},
                    {"rack_type": f"t-single-{suffix}", "count": 1},
                ],
                "pools": {
                    "asn-spine": {"kind": "asn", "ranges": ["64512-64519"]},
                    "asn-leaf": {"kind": "asn", "ranges": ["64600-64699"]},
                    "ipv4-loopback": {
                        "kind": "ipv4",
                        "ranges": ["10.200.0.0/24"],
                        "prefix_len": 32,
                    },
                    "ipv4-fabric": {"kind": "ipv4", "ranges": ["10.201.0.0/24"], "prefix_len": 31},
                    "ipv4-server-link": {
                        "kind": "ipv4",
                        "ranges": ["10.202.0.0/24"],
                        "prefix_len": 31,
                    },
                    "ipv4-server-host": {
                        "kind": "ipv4",
                        "ranges": ["10.203.0.0/24"],
                        "prefix_len": 32,
                    },
                },
            },
        ),
    ]


def implied_counts(entries: list[tuple[str, Definition]], template: str) -> dict[str, int]:
    """Racks, systems, links and sessions the template implies (counted by hand)."""
    by_name = {(kind, d["name"]): d for kind, d in entries}
    spec = by_name[("templates", template)]
    spines = spec["spines"]["count"]
    racks = leafs = servers = server_links = 0
    for rack in spec["racks"]:
        rack_type = by_name[("rack_types", rack["rack_type"])]
        rack_leafs = 2 if rack_type["leafs"] == "pair" else 1
        homed = rack_leafs if rack_type["servers"]["homing"] == "dual" else 1
        racks += rack["count"]
        leafs += rack["count"] * rack_leafs
        servers += rack["count"] * rack_type["servers"]["count"]
        server_links += rack["count"] * rack_type["servers"]["count"] * homed
    fabric_links = spines * leafs  # one uplink from every leaf to every spine
    return {
        "racks": racks,
        "spines": spines,
        "leafs": leafs,
        "servers": servers,
        "linksCount": fabric_links + server_links,
        "bgpSessionsCount": fabric_links,  # ip_fabric: one eBGP session per fabric link
    }
