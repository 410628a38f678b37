"""A template instantiates into exactly the fabric its YAML describes.

Every number below is counted from the YAML files (``blueprint_counts``)::

    spine1 ... spineS            one ASN for the spine layer
      |  \\   /  |               one /31 + one eBGP session per spine-leaf link
    rackN-leaf1 [rackN-leaf2]    one ASN and one /32 loopback per leaf
      |      \\  /               one /31 per leaf-server link
    rackN-server1 ...            one /32 host address per server
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from typing import Any

import pytest
from blueprint_counts import TEMPLATES, expected_for, raw_section

from blueprint_engine.catalogue.entries import Catalogue
from blueprint_engine.design.build import add_virtual_network, apply_parts, build_design
from blueprint_engine.design.model import BlueprintDesign, Interface, LinkRole, Role


def cabled(design: BlueprintDesign) -> list[Interface]:
    """The interfaces at an end of a link."""
    ends = {end for link in design.links for end in (link.a, link.b)}
    return [i for i in design.interfaces if i.id in ends]


def test_every_port_of_every_switch_profile_is_an_interface(
    built: tuple[str, BlueprintDesign],
) -> None:
    """Port names and breakouts counted from the device profile YAML, not from the code."""
    _, design = built
    profiles = raw_section("device_profiles")
    for system in design.systems:
        if system.device_profile is None:
            continue
        expected = {
            f"{r['prefix']}{r['first'] + n}": tuple(
                f"{b['lanes']}x{b['speed_mbps']}" for b in r.get("breakouts", [])
            )
            for r in profiles[system.device_profile]["ports"]
            for n in range(r["count"])
        }
        found = {i.name: i.breakouts for i in design.interfaces if i.system == system.id}
        assert found == expected, system.id


@pytest.fixture(scope="module", params=TEMPLATES)
def built(request: pytest.FixtureRequest, catalogue: Catalogue) -> tuple[str, BlueprintDesign]:
    name: str = request.param
    return name, build_design(catalogue, name, f"bp-{name}")


def test_systems_racks_links_and_sessions_match_the_template(
    built: tuple[str, BlueprintDesign],
) -> None:
    name, design = built
    expected = expected_for(name)
    roles = Counter(system.role for system in design.systems)
    assert roles == {
        Role.SPINE: expected.spines,
        Role.LEAF: expected.leafs,
        Role.SERVER: expected.servers,
    }
    assert len(design.racks) == expected.racks
    links = Counter(link.role for link in design.links)
    assert links == {
        LinkRole.SPINE_LEAF: expected.fabric_links,
        LinkRole.LEAF_SERVER: expected.server_links,
    }
    assert len(design.sessions) == expected.sessions
    assert len(cabled(design)) == 2 * expected.links
    assert len(design.interfaces) == expected.interfaces
    assert len(design.transceivers) == 2 * expected.fabric_links + expected.server_links
    assert len(design.routing_zones) == 1 + expected.routing_zones
    assert len(design.virtual_networks) == expected.virtual_networks


def test_every_resource_is_allocated_once_and_from_its_pool(
    built: tuple[str, BlueprintDesign],
) -> None:
    name, design = built
    assert len(design.allocations) == expected_for(name).allocations
    values = Counter((allocation.pool, allocation.value) for allocation in design.allocations)
    assert max(values.values()) == 1
    raw_pools = raw_section("templates")[name]["pools"]
    for allocation in design.allocations:
        ranges = raw_pools[allocation.pool]["ranges"]
        if raw_pools[allocation.pool]["kind"] == "ipv4":
            network = ipaddress.IPv4Network(allocation.value)
            assert any(network.subnet_of(ipaddress.IPv4Network(r)) for r in ranges)
        else:
            bounds = [tuple(map(int, r.split("-"))) for r in ranges]
            assert any(low <= int(allocation.value) <= high for low, high in bounds)


def test_addresses_and_loopbacks_are_unique(built: tuple[str, BlueprintDesign]) -> None:
    _, design = built
    addresses = [i.ipv4.partition("/")[0] for i in design.interfaces if i.ipv4]
    loopbacks = [s.loopback.partition("/")[0] for s in design.systems if s.loopback]
    ends = {i.id for i in cabled(design)}
    assert len(addresses) == len(ends)
    assert all(i.ipv4 is None for i in design.interfaces if i.id not in ends)
    assert len(loopbacks) == len(design.systems)
    assert len(set(addresses + loopbacks)) == len(addresses) + len(loopbacks)


def test_building_twice_gives_the_same_design(catalogue: Catalogue) -> None:
    assert build_design(catalogue, "medium", "m") == build_design(catalogue, "medium", "m")


def test_spine_layer_shares_one_asn_and_every_leaf_has_its_own(
    built: tuple[str, BlueprintDesign],
) -> None:
    _, design = built
    spine_asns = {s.asn for s in design.systems if s.role == Role.SPINE}
    leaf_asns = [s.asn for s in design.systems if s.role == Role.LEAF]
    assert len(spine_asns) == 1
    assert len(set(leaf_asns)) == len(leaf_asns)
    assert spine_asns.isdisjoint(leaf_asns)


def test_fabric_links_give_the_spine_the_even_address_and_carry_one_session(
    built: tuple[str, BlueprintDesign],
) -> None:
    _, design = built
    interfaces = {i.id: i for i in design.interfaces}
    systems = {s.id: s for s in design.systems}
    sessions = {s.link: s for s in design.sessions if s.afi == "ipv4"}
    for link in design.links:
        a, b = interfaces[link.a], interfaces[link.b]
        assert link.id == f"{a.id}--{b.id}"
        assert ipaddress.IPv4Interface(a.ipv4 or "").network == ipaddress.IPv4Network(link.subnet)
        assert int(ipaddress.IPv4Interface(a.ipv4 or "").ip) % 2 == 0
        assert int(ipaddress.IPv4Interface(b.ipv4 or "").ip) % 2 == 1
        if link.role == LinkRole.SPINE_LEAF:
            assert systems[a.system].role == Role.SPINE
            session = sessions[link.id]
            assert (session.a, session.b) == (a.system, b.system)
            assert (session.a_ip, session.b_ip) == ((a.ipv4 or "")[:-3], (b.ipv4 or "")[:-3])
            assert (session.a_asn, session.b_asn) == (systems[a.system].asn, systems[b.system].asn)
        else:
            assert (systems[a.system].role, systems[b.system].role) == (Role.LEAF, Role.SERVER)
    assert len(sessions) == sum(link.role == LinkRole.SPINE_LEAF for link in design.links)


def test_leafs_use_their_first_ports_for_spine_uplinks(catalogue: Catalogue) -> None:
    design = build_design(catalogue, "lab", "lab")
    spines = sum(1 for s in design.systems if s.role == Role.SPINE)
    for leaf in (s for s in design.systems if s.role == Role.LEAF):
        uplinks = sorted(
            link.b
            for link in design.links
            if link.role == LinkRole.SPINE_LEAF and link.b.startswith(f"{leaf.id}:")
        )
        assert uplinks == [f"{leaf.id}:swp{n}" for n in range(1, spines + 1)]
        server_ports = [link.a for link in design.links if link.a.startswith(f"{leaf.id}:")]
        assert all(int(port.rpartition("swp")[2]) > spines for port in server_ports)


def test_every_cabled_switch_port_has_a_transceiver_and_servers_have_none(
    built: tuple[str, BlueprintDesign],
) -> None:
    _, design = built
    servers = {s.id for s in design.systems if s.role == Role.SERVER}
    switch_interfaces = {i.id for i in cabled(design) if i.system not in servers}
    assert {t.interface for t in design.transceivers} == switch_interfaces
    assert all(t.id == f"{t.interface}:xcvr" for t in design.transceivers)


def test_link_speeds_come_from_the_device_profiles(catalogue: Catalogue) -> None:
    design = build_design(catalogue, "medium", "m")
    template = raw_section("templates")["medium"]
    spine_profile = raw_section("device_profiles")[template["spines"]["device_profile"]]
    uplink_speed = spine_profile["ports"][0]["speed_mbps"]
    server_ld = raw_section("logical_devices")["server-2x25"]["port_groups"][0]["speed_mbps"]
    assert {link.speed_mbps for link in design.links if link.role == LinkRole.SPINE_LEAF} == {
        uplink_speed
    }
    assert {link.speed_mbps for link in design.links if link.role == LinkRole.LEAF_SERVER} == {
        server_ld
    }


def test_evpn_overlay_adds_one_loopback_session_per_spine_leaf_pair(catalogue: Catalogue) -> None:
    design = build_design(catalogue, "lab-evpn", "lab")
    loopbacks = {s.id: s.loopback for s in design.systems}
    evpn = [s for s in design.sessions if s.afi == "evpn"]
    pairs = {(s.a, s.b) for s in design.sessions if s.afi == "ipv4"}
    assert {(s.a, s.b) for s in evpn} == pairs
    assert len(evpn) == len(pairs)
    for session in evpn:
        assert session.link is None
        assert f"{session.a_ip}/32" == loopbacks[session.a]
        assert f"{session.b_ip}/32" == loopbacks[session.b]


def test_virtual_network_binds_its_racks_and_slices_its_subnet(catalogue: Catalogue) -> None:
    spec: dict[str, Any] = {"name": "web", "vlan": 100, "rack_types": ["lab-single-leaf"]}
    lab = build_design(catalogue, "lab", "lab")
    design = apply_parts(lab, add_virtual_network(lab, spec))
    network = design.virtual_networks[0]
    bound = [rack.id for rack in design.racks if rack.rack_type in spec["rack_types"]]
    assert network.racks == tuple(bound)
    assert network.vlan == spec["vlan"]
    assert network.vni is None
    subnet = ipaddress.IPv4Network(network.subnet)
    slices = list(subnet.subnets(new_prefix=24))
    assert network.rack_gateways == tuple(
        (rack, f"{slices[index][1]}/24") for index, rack in enumerate(bound)
    )


def test_evpn_virtual_networks_and_routing_zones_get_distinct_vnis(catalogue: Catalogue) -> None:
    design = build_design(catalogue, "lab-evpn", "lab")
    zones = [zone.vni for zone in design.routing_zones if zone.id != "default"]
    networks = [network.vni for network in design.virtual_networks]
    vnis = zones + networks
    assert None not in vnis
    assert len(set(vnis)) == len(vnis)
