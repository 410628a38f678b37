"""Pools hand out values deterministically, never twice, and say when they run dry."""

from __future__ import annotations

import ipaddress

import pytest

from blueprint_engine.catalogue.entries import Catalogue
from blueprint_engine.design.build import build_design
from blueprint_engine.design.model import Allocation, Pool
from blueprint_engine.errors import ConflictError, PoolExhaustedError, ValidationError
from blueprint_engine.resources.allocation import Allocator, Policy, PoolState, release

VLANS = Pool("vlan", "vlan", ("100-104",))
LOOPBACKS = Pool("ipv4-loopback", "ipv4", ("10.0.0.0/29",), 32)
LINKS = Pool("ipv4-fabric", "ipv4", ("10.1.0.0/30", "10.9.0.0/31"), 31)


def _take(allocator: Allocator, pool: str, count: int) -> list[str]:
    return [allocator.allocate(pool, f"owner{n}").value for n in range(count)]


def test_lowest_free_skips_values_already_in_use() -> None:
    state = PoolState({"vlan": frozenset({"100", "102"})})
    assert _take(Allocator([VLANS], state), "vlan", 3) == ["101", "103", "104"]


def test_host_pools_skip_the_network_and_broadcast_addresses() -> None:
    network = ipaddress.IPv4Network(LOOPBACKS.ranges[0])
    hosts = [f"{host}/32" for host in network.hosts()]
    assert _take(Allocator([LOOPBACKS]), "ipv4-loopback", len(hosts)) == hosts


def test_link_pools_carve_every_range_in_order() -> None:
    blocks = [
        str(block)
        for text in LINKS.ranges
        for block in ipaddress.IPv4Network(text).subnets(new_prefix=31)
    ]
    assert _take(Allocator([LINKS]), "ipv4-fabric", len(blocks)) == blocks


def test_sequential_policy_continues_after_the_last_value_and_wraps() -> None:
    pool = Pool("vlan", "vlan", ("100-104",), policy=Policy.SEQUENTIAL_FROM_LAST.value)
    state = PoolState({"vlan": frozenset({"101", "104"})}, last={"vlan": "102"})
    assert _take(Allocator([pool], state), "vlan", 3) == ["103", "100", "102"]


def test_allocator_never_hands_out_a_claimed_value() -> None:
    allocator = Allocator([VLANS])
    allocator.claim("vlan", "101", "web")
    assert "101" not in _take(allocator, "vlan", 4)
    with pytest.raises(ConflictError, match="101 of pool vlan is already in use"):
        allocator.claim("vlan", "101", "db")
    with pytest.raises(ValidationError, match="not in pool vlan"):
        allocator.claim("vlan", "99", "db")


def test_exhausted_pool_names_the_pool_and_how_many_were_needed_and_free() -> None:
    size = 5  # 100-104
    state = PoolState({"vlan": frozenset({"100", "104"})})
    allocator = Allocator([VLANS], state)
    with pytest.raises(PoolExhaustedError) as caught:
        allocator.ensure({"vlan": size})
    assert (
        caught.value.message == f"pool vlan is exhausted: {size} value(s) needed, {size - 2} free"
    )
    assert "100-104" in caught.value.allowed
    _take(allocator, "vlan", size - 2)
    with pytest.raises(PoolExhaustedError, match="1 value"):
        allocator.allocate("vlan", "one-more")


def test_building_with_a_nearly_full_pool_fails_before_allocating(catalogue: Catalogue) -> None:
    design = build_design(catalogue, "lab", "lab")
    fabric = [a.value for a in design.allocations if a.pool == "ipv4-fabric"]
    all_blocks = {f"{b}" for b in ipaddress.IPv4Network("10.1.0.0/24").subnets(new_prefix=31)}
    keep_free = 3
    in_use = sorted(all_blocks)[keep_free:]
    with pytest.raises(PoolExhaustedError) as caught:
        build_design(catalogue, "lab", "lab", PoolState({"ipv4-fabric": frozenset(in_use)}))
    assert f"{len(fabric)} value(s) needed, {keep_free} free" in str(caught.value)


def test_values_in_use_elsewhere_are_never_reused(catalogue: Catalogue) -> None:
    first = build_design(catalogue, "medium", "one")
    state = PoolState.from_allocations(first.allocations)
    second = build_design(catalogue, "medium", "two", state)
    used = {(a.pool, a.value) for a in first.allocations}
    assert used.isdisjoint((a.pool, a.value) for a in second.allocations)


def test_an_explicit_vlan_already_in_use_is_a_conflict(catalogue: Catalogue) -> None:
    first = build_design(catalogue, "lab-evpn", "one")
    vlan = next(a.value for a in first.allocations if a.pool == "vlan")
    with pytest.raises(ConflictError, match=f"{vlan} of pool vlan is already in use"):
        build_design(catalogue, "lab-evpn", "two", PoolState({"vlan": frozenset({vlan})}))


def test_release_returns_exactly_the_allocations_of_removed_intent() -> None:
    allocations = [
        Allocation("vlan", "100", "web"),
        Allocation("vni", "10100", "web"),
        Allocation("vlan", "101", "db"),
    ]
    assert release(allocations, ["web"]) == allocations[:2]
    assert release(allocations, ["nothing"]) == []


def test_overlapping_or_malformed_ranges_are_rejected() -> None:
    with pytest.raises(ValueError, match="overlapping"):
        Allocator([Pool("vlan", "vlan", ("100-110", "105-120"))])
    with pytest.raises(ValueError, match="first <= last"):
        Allocator([Pool("vlan", "vlan", ("100-5000",))])
    with pytest.raises(ValueError, match="smaller than one /24"):
        Allocator([Pool("ipv4-vn", "ipv4", ("10.0.0.0/25",), 24)])
