"""Incremental edits: a new rack or virtual network continues ids and allocations.

Adding a single-leaf rack to ``lab``::

    spine1  spine2          (each spends its next free leaf-facing port)
       \\    /
    rack4-leaf1             (ASN, loopback, /31s: next free values)
        |
    rack4-server1
"""

from __future__ import annotations

from collections import Counter

import pytest
from blueprint_counts import raw_section

from blueprint_engine.catalogue.entries import Catalogue
from blueprint_engine.design.build import (
    PortsExhaustedError,
    add_rack,
    add_virtual_network,
    apply_parts,
    build_design,
)
from blueprint_engine.design.model import BlueprintDesign, Role
from blueprint_engine.errors import ConflictError, NotFoundError
from blueprint_engine.resources.allocation import PoolState

# the lab template deploys into the FRR lab and has no virtual network of its own
WEB = {"name": "web", "routing_zone": "default", "vlan": 100, "rack_types": ["lab-single-leaf"]}


@pytest.fixture()
def lab(catalogue: Catalogue) -> BlueprintDesign:
    """The lab blueprint with virtual network "web" on its single-leaf racks."""
    design = build_design(catalogue, "lab", "lab")
    return apply_parts(design, add_virtual_network(design, WEB))


def test_new_rack_continues_rack_numbering(catalogue: Catalogue, lab: BlueprintDesign) -> None:
    parts = add_rack(lab, catalogue, "lab-leaf-pair")
    number = len(lab.racks) + 1
    raw = raw_section("rack_types")["lab-leaf-pair"]
    (rack,) = parts.racks
    assert rack.id == f"rack{number}"
    assert rack.leafs == (f"rack{number}-leaf1", f"rack{number}-leaf2")
    servers = raw["servers"]["count"]
    assert rack.servers == tuple(f"rack{number}-server{n}" for n in range(1, servers + 1))


def test_new_rack_never_reuses_an_id_port_or_resource(
    catalogue: Catalogue, lab: BlueprintDesign
) -> None:
    parts = add_rack(lab, catalogue, "lab-single-leaf")
    merged = apply_parts(lab, parts)
    for kind in ("systems", "interfaces", "transceivers", "links", "sessions"):
        ids = Counter(item.id for item in getattr(merged, kind))
        assert max(ids.values()) == 1, kind
    values = Counter((a.pool, a.value) for a in merged.allocations)
    assert max(values.values()) == 1
    assert merged.allocations[: len(lab.allocations)] == lab.allocations


def test_new_rack_takes_the_next_free_spine_ports(
    catalogue: Catalogue, lab: BlueprintDesign
) -> None:
    parts = add_rack(lab, catalogue, "lab-single-leaf")
    leafs_before = sum(1 for s in lab.systems if s.role == Role.LEAF)
    spine_ports = {link.a for link in parts.links if link.a.startswith("spine")}
    spines = [s.id for s in lab.systems if s.role == Role.SPINE]
    assert spine_ports == {f"{spine}:swp{leafs_before + 1}" for spine in spines}


def test_adding_the_same_rack_twice_to_one_design_gives_the_same_parts(
    catalogue: Catalogue,
) -> None:
    lab = build_design(catalogue, "lab", "lab")
    grown = apply_parts(lab, add_rack(lab, catalogue, "lab-leaf-pair"))
    again = add_rack(lab, catalogue, "lab-leaf-pair")
    assert apply_parts(lab, again) == grown


def test_new_rack_skips_values_in_use_outside_the_blueprint(
    catalogue: Catalogue, lab: BlueprintDesign
) -> None:
    plain = add_rack(lab, catalogue, "lab-single-leaf")
    taken = {a.pool: frozenset({a.value}) for a in plain.allocations if a.pool == "asn-leaf"}
    parts = add_rack(lab, catalogue, "lab-single-leaf", PoolState(taken))
    new_asn = next(a.value for a in parts.allocations if a.pool == "asn-leaf")
    assert new_asn not in taken["asn-leaf"]


def test_spine_without_free_ports_refuses_another_rack(
    catalogue: Catalogue, lab: BlueprintDesign
) -> None:
    spine_ld = raw_section("templates")["lab"]["spines"]["logical_device"]
    spine_ports = sum(g["count"] for g in raw_section("logical_devices")[spine_ld]["port_groups"])
    design = lab
    for _ in range(spine_ports - sum(1 for s in lab.systems if s.role == Role.LEAF)):
        design = apply_parts(design, add_rack(design, catalogue, "lab-single-leaf"))
    with pytest.raises(PortsExhaustedError, match="spine1 has no free leaf-facing port"):
        add_rack(design, catalogue, "lab-single-leaf")


def test_new_virtual_network_gets_the_next_vlan_and_subnet(lab: BlueprintDesign) -> None:
    parts = add_virtual_network(lab, {"name": "db", "racks": ["rack3"]})
    (network,) = parts.virtual_networks
    existing = lab.virtual_networks[0]
    assert network.vlan == existing.vlan + 1
    assert network.racks == ("rack3",)
    assert network.subnet != existing.subnet
    assert {a.owner for a in parts.allocations} == {"db"}


def test_virtual_network_names_must_be_new_and_zones_must_exist(lab: BlueprintDesign) -> None:
    with pytest.raises(ConflictError):
        add_virtual_network(lab, {"name": lab.virtual_networks[0].id})
    with pytest.raises(NotFoundError, match="routing zone 'red'"):
        add_virtual_network(lab, {"name": "db", "routing_zone": "red"})
    with pytest.raises(NotFoundError, match="rack99"):
        add_virtual_network(lab, {"name": "db", "racks": ["rack99"]})
