"""Template -> blueprint design, and the incremental edits the staging engine uses.

All functions are pure and deterministic: the same catalogue, template, name
and pool state always give the same design, objects listed in the order the
intent is enumerated (spines, then rack by rack: leafs, servers, fabric links
leaf by leaf and spine by spine, server links server by server; then routing
zones and virtual networks). Ids follow ``model``: ``spine1``, ``rack1-leaf1``,
``rack1-server1``, ``<system>:<port>``, ``<a interface>--<b interface>``.

Allocation owners: the spine layer's shared ASN is owned by the blueprint
(its name); leaf ASNs and loopbacks by the switch; server host addresses by
the server; link subnets by the link; VLANs, VNIs and VN subnets by the
virtual network or routing zone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import pydantic

from blueprint_engine.catalogue.entries import Catalogue
from blueprint_engine.catalogue.models import RackType, Template, VirtualNetworkSpec
from blueprint_engine.design.model import BlueprintDesign, Role, System
from blueprint_engine.design.networks import (
    DEFAULT_ZONE,
    check_new_network,
    network_demand,
    rack_number,
    routing_zone,
    virtual_network,
)
from blueprint_engine.design.parts import DesignParts, apply_parts
from blueprint_engine.design.ports import complete_ports
from blueprint_engine.design.racks import (
    FabricBuilder,
    PortsExhaustedError,
    profile_port_names,
    rack_demand,
)
from blueprint_engine.errors import ValidationError
from blueprint_engine.resources.allocation import Allocator, PoolId, PoolState

__all__ = [
    "DesignParts",
    "PortsExhaustedError",
    "add_rack",
    "add_virtual_network",
    "apply_parts",
    "build_design",
    "network_spec",
]


def _total(demands: Sequence[Mapping[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for demand in demands:
        total.update(demand)
    return dict(total)


def _spine_layer(
    catalogue: Catalogue, template: Template, blueprint_name: str, allocator: Allocator
) -> list[System]:
    spec = template.spines
    asn = int(allocator.allocate(PoolId.ASN_SPINE, blueprint_name).value)
    ports = profile_port_names(catalogue, spec.device_profile)
    spines = []
    for index in range(1, spec.count + 1):
        spine_id = f"spine{index}"
        loopback = allocator.allocate(PoolId.LOOPBACK, spine_id).value
        spines.append(
            System(
                id=spine_id,
                hostname=spine_id,
                role=Role.SPINE,
                rack=None,
                logical_device=spec.logical_device,
                device_profile=spec.device_profile,
                asn=asn,
                loopback=loopback,
                ports=ports,
            )
        )
    return spines


def build_design(
    catalogue: Catalogue,
    template_name: str,
    blueprint_name: str,
    pool_state: PoolState | None = None,
) -> BlueprintDesign:
    """Instantiate a template: every system, link, session, network and allocation."""
    template = catalogue.template(template_name)
    pools = template.pool_models()
    allocator = Allocator(pools, pool_state)
    rack_types = [catalogue.rack_type(r.rack_type) for r in template.racks for _ in range(r.count)]
    spine_count = template.spines.count
    demand = _total(
        [
            {PoolId.ASN_SPINE: 1, PoolId.LOOPBACK: spine_count},
            *(rack_demand(rack, spine_count) for rack in rack_types),
            network_demand(template.routing_zones, template.virtual_networks, template.overlay),
        ]
    )
    allocator.ensure(demand)
    spines = _spine_layer(catalogue, template, blueprint_name, allocator)
    builder = FabricBuilder(catalogue, template.overlay, allocator, spines, {})
    parts = DesignParts(systems=list(spines))
    for number, rack in enumerate(rack_types, start=1):
        parts.extend(builder.rack(number, rack))
    parts.routing_zones = [DEFAULT_ZONE] + [
        routing_zone(spec, template.overlay, allocator) for spec in template.routing_zones
    ]
    parts.virtual_networks = [
        virtual_network(spec, parts.racks, template.overlay, allocator)
        for spec in template.virtual_networks
    ]
    parts.allocations = allocator.allocations
    parts.interfaces = complete_ports(catalogue, parts.systems, parts.interfaces)
    design = BlueprintDesign(blueprint_name, template.name, template.overlay, pools=list(pools))
    return apply_parts(design, parts)


def _state(design: BlueprintDesign, pool_state: PoolState | None) -> PoolState:
    return (pool_state or PoolState()).with_allocations(design.allocations)


def add_rack(
    design: BlueprintDesign,
    catalogue: Catalogue,
    rack_type: str,
    pool_state: PoolState | None = None,
) -> DesignParts:
    """One more rack of ``rack_type``: ids continue after the highest existing rack.

    ``pool_state`` adds values in use outside ``design`` (the design's own
    allocations are always in use). Apply the result with ``apply_parts``.
    """
    rack: RackType = catalogue.rack_type(rack_type)
    spines = sorted(
        (system for system in design.systems if system.role == Role.SPINE),
        key=lambda system: int(system.id.removeprefix("spine")),
    )
    if not spines:
        raise ValidationError(
            f"blueprint {design.name} has no spines", allowed="a blueprint built from a template"
        )
    used: dict[str, list[str]] = {spine.id: [] for spine in spines}
    for link in design.links:  # a spine's used ports are its cabled ones
        for end in (link.a, link.b):
            system, _, port = end.partition(":")
            if system in used:
                used[system].append(port)
    allocator = Allocator(design.pools, _state(design, pool_state))
    allocator.ensure(rack_demand(rack, len(spines)))
    builder = FabricBuilder(catalogue, design.overlay, allocator, spines, used)
    number = max((rack_number(existing.id) for existing in design.racks), default=0) + 1
    parts = builder.rack(number, rack)
    parts.allocations = allocator.allocations
    # the spines' ports exist already: only the new switches' unused ports are added
    parts.interfaces = complete_ports(catalogue, parts.systems, parts.interfaces)
    return parts


def network_spec(params: Mapping[str, object]) -> VirtualNetworkSpec:
    """A virtual network's parameters checked (a ``ValidationError`` lists each problem)."""
    try:
        return VirtualNetworkSpec.model_validate(dict(params))
    except pydantic.ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ValidationError(
            "invalid virtual network: " + "; ".join(problems),
            allowed=f"fields {', '.join(VirtualNetworkSpec.model_fields)}",
        ) from None


def add_virtual_network(
    design: BlueprintDesign,
    spec: VirtualNetworkSpec | Mapping[str, object],
    pool_state: PoolState | None = None,
) -> DesignParts:
    """One more virtual network (a ``VirtualNetworkSpec`` or its dict form)."""
    if not isinstance(spec, VirtualNetworkSpec):
        spec = network_spec(spec)
    taken = [zone.id for zone in design.routing_zones] + [vn.id for vn in design.virtual_networks]
    check_new_network(spec, design.routing_zones, taken)
    allocator = Allocator(design.pools, _state(design, pool_state))
    allocator.ensure(network_demand((), [spec], design.overlay))
    network = virtual_network(spec, design.racks, design.overlay, allocator)
    return DesignParts(virtual_networks=[network], allocations=allocator.allocations)
