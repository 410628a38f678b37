"""Expected numbers for the blueprint tests, computed from the catalogue YAML.

Expected numbers are computed here from the raw YAML (``yaml.safe_load``),
independently of the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CATALOGUE_DIR = Path(__file__).resolve().parents[3] / "fixtures" / "catalogue"
TEMPLATES = ("lab", "lab-evpn", "medium", "large")


def raw_section(section: str) -> dict[str, dict[str, Any]]:
    """Entries of one catalogue section by name, straight from the YAML files."""
    entries: dict[str, dict[str, Any]] = {}
    for file in sorted(CATALOGUE_DIR.glob("*.yaml")):
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for entry in data.get(section, []):
            entries[entry["name"]] = entry
    return entries


@dataclass(frozen=True)
class Expected:
    """What a template's YAML implies, counted by hand."""

    spines: int
    leafs: int
    servers: int
    racks: int
    fabric_links: int
    server_links: int
    evpn: bool
    routing_zones: int  # besides "default"
    virtual_networks: int
    switch_ports: int = 0  # every port of every switch's device profile

    @property
    def interfaces(self) -> int:
        """Every switch port (cabled or not) and one per server end of a link."""
        return self.switch_ports + self.server_links

    @property
    def systems(self) -> int:
        return self.spines + self.leafs + self.servers

    @property
    def links(self) -> int:
        return self.fabric_links + self.server_links

    @property
    def sessions(self) -> int:
        overlay = self.spines * self.leafs if self.evpn else 0
        return self.fabric_links + overlay

    @property
    def allocations(self) -> int:
        switches = self.spines + self.leafs
        shared_spine_asn = 1
        networks = 2 * self.virtual_networks  # a subnet and a VLAN (explicit ones are claimed)
        vnis = self.routing_zones + self.virtual_networks if self.evpn else 0
        return (
            shared_spine_asn + self.leafs + switches + self.servers + self.links + networks + vnis
        )


def profile_ports(profile: str) -> int:
    """Physical ports of a device profile: the sum of its port ranges' counts."""
    return sum(int(r["count"]) for r in raw_section("device_profiles")[profile]["ports"])


def expected_for(template_name: str) -> Expected:
    template = raw_section("templates")[template_name]
    rack_types = raw_section("rack_types")
    spines = template["spines"]["count"]
    leafs = servers = racks = server_links = 0
    switch_ports = spines * profile_ports(template["spines"]["device_profile"])
    for rack in template["racks"]:
        rack_type = rack_types[rack["rack_type"]]
        leaf_profile = rack_type["leaf"]["device_profile"]
        rack_leafs = {"single": 1, "pair": 2}[rack_type["leafs"]]
        rack_servers = rack_type["servers"]["count"]
        homed = rack_leafs if rack_type["servers"]["homing"] == "dual" else 1
        links_per_leaf = rack_type["servers"].get("links_per_leaf", 1)
        racks += rack["count"]
        leafs += rack["count"] * rack_leafs
        switch_ports += rack["count"] * rack_leafs * profile_ports(leaf_profile)
        servers += rack["count"] * rack_servers
        server_links += rack["count"] * rack_servers * homed * links_per_leaf
    networks = template.get("virtual_networks", [])
    return Expected(
        spines=spines,
        leafs=leafs,
        servers=servers,
        racks=racks,
        fabric_links=spines * leafs,
        server_links=server_links,
        evpn=template["overlay"] == "evpn",
        routing_zones=len(template.get("routing_zones", [])),
        virtual_networks=len(networks),
        switch_ports=switch_ports,
    )
