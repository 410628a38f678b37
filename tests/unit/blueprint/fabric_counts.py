"""Expected numbers for 5-stage and collapsed blueprints, from the catalogue YAML only.

Nothing here imports the engine: the counts follow from the numbers in the YAML
(planes, superspines per plane, pods and their templates' spines and racks, leafs per
rack, servers and homing) by the rules the templates' comments state.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from blueprint_counts import profile_ports, raw_section


@dataclass
class FabricCounts:
    """Counts by role and pool of one template, as the YAML implies them."""

    systems: Counter[str] = field(default_factory=Counter)  # by role
    links: Counter[str] = field(default_factory=Counter)  # by link role
    sessions: Counter[str] = field(default_factory=Counter)  # by afi
    resources: Counter[str] = field(default_factory=Counter)  # by pool
    pods: int = 0
    racks: int = 0
    switch_ports: int = 0  # every port of every switch's device profile
    profile_ports: dict[str, int] = field(default_factory=dict)  # per device profile

    @property
    def interfaces(self) -> int:
        """Every switch port, cabled or not, and one per server end of a link."""
        return self.switch_ports + self.links["leaf_server"]

    @property
    def switches(self) -> int:
        return sum(n for role, n in self.systems.items() if role != "server")


def _switches(counts: FabricCounts, role: str, profile: str, n: int) -> None:
    counts.systems[role] += n
    counts.profile_ports[profile] = profile_ports(profile)
    counts.switch_ports += n * profile_ports(profile)


def _racks(counts: FabricCounts, racks: list[dict[str, object]], spines: int) -> int:
    """Leafs, servers and their links of ``racks`` cabled to ``spines``; returns leafs."""
    rack_types = raw_section("rack_types")
    leafs = 0
    for entry in racks:
        rack = rack_types[str(entry["rack_type"])]
        count = int(str(entry["count"]))
        pair = 2 if rack["leafs"] == "pair" else 1
        servers = rack["servers"]
        homed = pair if servers["homing"] == "dual" else 1
        counts.racks += count
        leafs += count * pair
        _switches(counts, "leaf", rack["leaf"]["device_profile"], count * pair)
        counts.systems["server"] += count * servers["count"]
        counts.links["leaf_server"] += count * servers["count"] * homed * servers["links_per_leaf"]
    counts.links["spine_leaf"] += leafs * spines
    return leafs


def _pools(counts: FabricCounts) -> None:
    counts.resources["asn-leaf"] = counts.systems["leaf"]
    counts.resources["ipv4-loopback"] = counts.switches
    counts.resources["ipv4-fabric"] = counts.links["spine_leaf"] + counts.links["leaf_leaf"]
    counts.resources["ipv4-server-link"] = counts.links["leaf_server"]
    counts.resources["ipv4-server-host"] = counts.systems["server"]


def expected_five_stage(template_name: str) -> FabricCounts:
    template = raw_section("templates")[template_name]
    templates = raw_section("templates")
    planes, per_plane = template["superspines"]["planes"], template["superspines"]["per_plane"]
    counts = FabricCounts()
    _switches(counts, "superspine", template["superspines"]["device_profile"], planes * per_plane)
    for pod in template["pods"]:
        pod_template = templates[pod["template"]]
        spines = pod_template["spines"]["count"]
        for _ in range(pod["count"]):
            counts.pods += 1
            _switches(counts, "spine", pod_template["spines"]["device_profile"], spines)
            # every spine: one link to each superspine of its plane
            counts.links["superspine_spine"] += spines * per_plane
            _racks(counts, pod_template["racks"], spines)
    fabric = counts.links["superspine_spine"] + counts.links["spine_leaf"]
    counts.sessions["ipv4"] = fabric
    if template["overlay"] == "evpn":
        counts.sessions["evpn"] = fabric
    _pools(counts)
    counts.resources["asn-superspine"] = 1
    counts.resources["asn-spine"] = counts.pods if template["asn_scheme"] == "rfc7938" else 1
    counts.resources["ipv4-superspine-fabric"] = counts.links["superspine_spine"]
    if "ipv4-loopback-superspine" in template["pools"]:
        counts.resources["ipv4-loopback-superspine"] = counts.systems["superspine"]
        counts.resources["ipv4-loopback"] -= counts.systems["superspine"]
    return counts


def expected_collapsed(template_name: str) -> FabricCounts:
    template = raw_section("templates")[template_name]
    counts = FabricCounts()
    leafs = _racks(counts, template["racks"], 0)
    counts.links["leaf_leaf"] = leafs * (leafs - 1) // 2  # a full mesh
    counts.sessions["ipv4"] = counts.links["leaf_leaf"]
    if template["overlay"] == "evpn":
        counts.sessions["evpn"] = counts.links["leaf_leaf"]
    _pools(counts)
    return counts
