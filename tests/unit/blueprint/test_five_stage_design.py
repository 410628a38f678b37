"""5-stage and collapsed templates instantiate into exactly what their YAML implies.

Counts come from the YAML (``fabric_counts``), never from the engine::

    superspine1 (plane 1)   superspine2 (plane 2)     one ASN for the tier
         |      \\_________________ |
    pod1-spine1  pod1-spine2   pod2-spine1 ...       spine i in plane (i-1) % planes + 1,
         |    \\  /   |                               one ASN per pod (rfc7938)
    rack1-leaf1  rack1-leaf2   rack2-leaf1 ...       one ASN per leaf
         |    \\  /   |
    rack1-server1 ...

    collapsed:  rack1-leaf1 ---- rack1-leaf2         a full mesh of leafs, no spine
                    |     \\  /     |
                rack1-server1  rack1-server2
"""

from __future__ import annotations

import ipaddress
from collections import Counter

import pytest
from fabric_counts import FabricCounts, expected_collapsed, expected_five_stage

from blueprint_engine.catalogue.entries import Catalogue
from blueprint_engine.design.build import add_pod, add_rack, apply_parts, build_design
from blueprint_engine.design.model import BlueprintDesign, Role
from blueprint_engine.errors import ValidationError

FIVE_STAGE = ("lab5", "lab5-evpn", "medium5")
COLLAPSED = ("lab-collapsed",)


def _expected(template: str) -> FabricCounts:
    return expected_collapsed(template) if template in COLLAPSED else expected_five_stage(template)


@pytest.fixture(scope="module", params=FIVE_STAGE + COLLAPSED)
def built(request: pytest.FixtureRequest, catalogue: Catalogue) -> tuple[str, BlueprintDesign]:
    name: str = request.param
    return name, build_design(catalogue, name, f"bp-{name}")


def test_systems_links_sessions_and_resources_match_the_template(
    built: tuple[str, BlueprintDesign],
) -> None:
    template, design = built
    want = _expected(template)
    assert Counter(str(s.role) for s in design.systems) == want.systems
    assert Counter(str(link.role) for link in design.links) == +want.links
    assert Counter(s.afi for s in design.sessions) == want.sessions
    assert Counter(a.pool for a in design.allocations) == +want.resources
    assert len(design.pods) == want.pods
    assert len(design.racks) == want.racks
    assert len(design.interfaces) == want.interfaces


def test_every_resource_is_held_once_and_addresses_never_repeat_across_pools(
    built: tuple[str, BlueprintDesign],
) -> None:
    _, design = built
    pairs = [(a.pool, a.value) for a in design.allocations]
    assert len(pairs) == len(set(pairs))
    networks = [ipaddress.ip_network(v) for p, v in pairs if "." in v]
    for index, network in enumerate(sorted(networks)):
        for other in sorted(networks)[index + 1 : index + 2]:
            assert not network.overlaps(other), (network, other)


def test_every_link_end_is_a_port_of_its_device_profile(
    built: tuple[str, BlueprintDesign],
) -> None:
    template, design = built
    want = _expected(template)
    systems = {s.id: s for s in design.systems}
    for link in design.links:
        for end in (link.a, link.b):
            system_id, _, port = end.partition(":")
            system = systems[system_id]
            if system.device_profile is None:
                continue
            assert port in system.ports, end
            assert len(system.ports) == want.profile_ports[system.device_profile]


def test_pod_spines_link_only_to_the_superspines_of_their_plane(catalogue: Catalogue) -> None:
    design = build_design(catalogue, "medium5", "bp")
    systems = {s.id: s for s in design.systems}
    for link in design.links:
        if link.role == "superspine_spine":
            upper, spine = (systems[end.partition(":")[0]] for end in (link.a, link.b))
            assert upper.role == Role.SUPERSPINE and spine.role == Role.SPINE
            assert upper.plane == spine.plane


def test_rfc7938_gives_each_pod_its_spine_asn_and_single_shares_one(
    catalogue: Catalogue,
) -> None:
    for template, pods_asns in (("lab5", 2), ("lab5-evpn", 1)):
        design = build_design(catalogue, template, "bp")
        spine_asns = {s.asn for s in design.systems if s.role == Role.SPINE}
        superspine_asns = {s.asn for s in design.systems if s.role == Role.SUPERSPINE}
        leaf_asns = [s.asn for s in design.systems if s.role == Role.LEAF]
        assert len(spine_asns) == pods_asns
        assert len(superspine_asns) == 1 and not superspine_asns & spine_asns
        assert len(set(leaf_asns)) == len(leaf_asns)


def test_adding_a_pod_cables_new_superspine_ports_and_changes_nothing_else(
    catalogue: Catalogue,
) -> None:
    design = build_design(catalogue, "lab5", "bp")
    parts = add_pod(design, catalogue, "lab-pod")
    pod_spines = catalogue.template("lab-pod").spine_spec.count
    assert [p.id for p in parts.pods] == ["pod3"]
    assert {s.id for s in parts.systems if s.role == Role.SPINE} == {
        f"pod3-spine{n}" for n in range(1, pod_spines + 1)
    }
    existing = {i.id for i in design.interfaces}
    touched = {i.system for i in parts.interfaces if i.id in existing}
    assert touched == {"superspine1", "superspine2"}
    cabled_before = {end for link in design.links for end in (link.a, link.b)}
    assert not cabled_before & {end for link in parts.links for end in (link.a, link.b)}
    merged = apply_parts(design, parts)
    assert len({r.id for r in merged.racks}) == len(merged.racks)


def test_a_pod_whose_spines_do_not_fit_the_planes_is_refused_with_the_reason(
    catalogue: Catalogue,
) -> None:
    """medium-pod has 2 spines; a fabric of 3 planes cannot take them (a 3-plane fabric
    is drawn here by changing the built design's planes, as no template has 3)."""
    design = build_design(catalogue, "medium5", "bp")
    design.planes = 3
    with pytest.raises(ValidationError, match="planes are fixed") as err:
        add_pod(design, catalogue, "medium-pod")
    assert "multiple of 3 spines" in str(err.value.allowed)


def test_a_rack_on_a_five_stage_fabric_names_its_pod(catalogue: Catalogue) -> None:
    design = build_design(catalogue, "lab5", "bp")
    with pytest.raises(ValidationError, match="goes into a pod") as err:
        add_rack(design, catalogue, "lab-leaf-pair")
    assert "pod1, pod2" in str(err.value.allowed)
    parts = add_rack(design, catalogue, "lab-leaf-pair", pod="pod2")
    spines = {link.a.partition(":")[0] for link in parts.links if link.role == "spine_leaf"}
    assert spines == {"pod2-spine1", "pod2-spine2"}
    assert {r.pod for r in parts.racks} == {"pod2"}
