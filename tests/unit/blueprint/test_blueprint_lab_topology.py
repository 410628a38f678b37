"""The lab builder's view of a design: nodes with ports, servers with addresses, cables."""

from __future__ import annotations

import ipaddress
import json

from blueprint_counts import expected_for, raw_section

from blueprint_engine.catalogue.entries import Catalogue
from blueprint_engine.design.build import build_design
from blueprint_engine.design.lab_topology import lab_topology


def _profile_ports(profile_name: str) -> list[str]:
    profile = raw_section("device_profiles")[profile_name]
    return [
        f"{group.get('prefix', 'swp')}{group.get('first', 1) + n}"
        for group in profile["ports"]
        for n in range(group["count"])
    ]


def test_lab_topology_lists_every_node_and_cable(catalogue: Catalogue) -> None:
    topology = lab_topology(build_design(catalogue, "lab", "lab"))
    expected = expected_for("lab")
    assert topology["name"] == "lab"
    assert len(topology["nodes"]) == expected.systems
    assert len(topology["links"]) == expected.links
    assert all(set(link) == {"a", "b"} for link in topology["links"])
    assert json.loads(json.dumps(topology)) == topology


def test_switches_list_every_port_of_their_profile_in_order(catalogue: Catalogue) -> None:
    topology = lab_topology(build_design(catalogue, "lab", "lab"))
    template = raw_section("templates")["lab"]
    switches = [node for node in topology["nodes"] if node["kind"] == "switch"]
    spine = next(node for node in switches if node["name"] == "spine1")
    assert spine == {
        "name": "spine1",
        "kind": "switch",
        "ports": _profile_ports(template["spines"]["device_profile"]),
    }
    assert len(switches) == expected_for("lab").spines + expected_for("lab").leafs


def test_servers_carry_host_address_and_leaf_gateway_per_interface(catalogue: Catalogue) -> None:
    topology = lab_topology(build_design(catalogue, "lab", "lab"))
    servers = [node for node in topology["nodes"] if node["kind"] == "server"]
    assert len(servers) == expected_for("lab").servers
    peers = {link["b"]: link["a"] for link in topology["links"]}
    for server in servers:
        assert set(server) == {"name", "kind", "host_address", "interfaces"}
        assert ipaddress.IPv4Interface(server["host_address"]).network.prefixlen == 32
        for interface in server["interfaces"]:
            address = ipaddress.IPv4Interface(interface["address"])
            assert address.network.prefixlen == 31
            gateway = ipaddress.IPv4Address(interface["gateway"])
            assert gateway in address.network and gateway != address.ip
            assert (
                peers[f"{server['name']}:{interface['name']}"]
                .split(":")[0]
                .endswith(("-leaf1", "-leaf2"))
            )
