"""Pod-based and collapsed templates are checked like any entry: each refusal names
the field and what is allowed (pure: the catalogue in memory)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from blueprint_counts import raw_section
from test_catalogue_entries import problems

from blueprint_engine.catalogue.entries import Catalogue


def _lab5(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(raw_section("templates")["lab5"])
    data["name"] = "u-five"
    data.update(changes)
    return data


def _one(catalogue: Catalogue, data: dict[str, Any]) -> str:
    found: list[str] = problems(catalogue, "templates", data)
    assert len(found) == 1, found
    return str(found[0])


def test_a_pod_based_template_without_superspines_names_the_field(catalogue: Catalogue) -> None:
    data = _lab5()
    del data["superspines"]
    assert "superspines is required for type pod_based" in _one(catalogue, data)


def test_spines_in_a_pod_based_template_are_refused_naming_what_it_takes(
    catalogue: Catalogue,
) -> None:
    spines = raw_section("templates")["lab"]["spines"]
    message = _one(catalogue, _lab5(spines=spines))
    assert "spines is not allowed for type pod_based (allowed: superspines, pods)" in message


def test_an_asn_scheme_of_another_type_is_refused_with_the_schemes_allowed(
    catalogue: Catalogue,
) -> None:
    message = _one(catalogue, _lab5(asn_scheme="spine-layer-shared-leaf-unique"))
    assert "allowed: rfc7938, single" in message


def test_a_missing_tier_pool_is_named(catalogue: Catalogue) -> None:
    data = _lab5()
    del data["pools"]["ipv4-superspine-fabric"]
    assert "pools ipv4-superspine-fabric are missing" in _one(catalogue, data)


def test_a_per_tier_loopback_pool_overlapping_the_shared_one_is_refused(
    catalogue: Catalogue,
) -> None:
    data = _lab5()
    data["pools"]["ipv4-loopback-superspine"] = {
        "kind": "ipv4",
        "ranges": ["10.0.0.128/25"],
        "prefix_len": 32,
    }
    message = _one(catalogue, data)
    assert "ipv4-loopback-superspine range 10.0.0.128/25 overlaps pool ipv4-loopback" in message


def test_pod_spines_that_do_not_spread_over_the_planes_point_at_the_pod(
    catalogue: Catalogue,
) -> None:
    data = _lab5(superspines={**raw_section("templates")["lab5"]["superspines"], "planes": 3})
    message = _one(catalogue, data)
    assert "pods[0].template" in message
    assert "2 spines per pod cannot be spread over 3 planes" in message


def test_a_pod_that_is_not_rack_based_is_refused(catalogue: Catalogue) -> None:
    message = _one(catalogue, _lab5(pods=[{"template": "lab-collapsed", "count": 1}]))
    assert "pods[0].template" in message and "allowed: a rack_based template" in message


def test_superspines_short_of_spine_facing_ports_say_how_many_are_needed(
    catalogue: Catalogue,
) -> None:
    """lab-superspine-8x10 has 8 spine-facing ports; 9 pods put 9 spines in each plane."""
    message = _one(catalogue, _lab5(pods=[{"template": "lab-pod", "count": 9}]))
    assert "superspines.logical_device" in message
    assert "needs 9 spine-facing port(s) on lab-superspine-8x10 but it has 8" in message


def test_a_collapsed_fabric_of_too_many_leafs_is_refused(catalogue: Catalogue) -> None:
    data = copy.deepcopy(raw_section("templates")["lab-collapsed"])
    data["name"] = "u-mesh"
    data["racks"] = [{"rack_type": "lab-mesh-leaf-pair", "count": 5}]
    message = _one(catalogue, data)
    assert "a collapsed fabric of 10 leaf(s) (allowed: 2 to 8 leafs" in message


@pytest.mark.parametrize("key", ["plane", "planes"])
def test_planes_are_refused_by_set_property_with_the_reason(key: str) -> None:
    from blueprint_engine.change.edits import SetProperty
    from blueprint_engine.errors import ValidationError

    with pytest.raises(ValidationError, match="planes are fixed when a 5-stage blueprint"):
        SetProperty.parse({"kind": "System", "id": "superspine1", "key": key, "value": 2})
