"""Template -> blueprint design, and the incremental edits the staging engine uses.

All functions are pure and deterministic: the same catalogue, template, name
and pool state always give the same design, objects listed in the order the
intent is enumerated (spines, then rack by rack: leafs, servers, fabric links
leaf by leaf and spine by spine, server links server by server; then routing
zones and virtual networks). Ids follow ``model``: ``spine1``, ``rack1-leaf1``,
``rack1-server1``, ``<system>:<port>``, ``<a interface>--<b interface>``.

Pod-based (5-stage) and collapsed templates are built by ``pods`` (the superspine
tier, pods of spines and racks; a leaf mesh) on the same ``FabricBuilder``.

Allocation owners: the spine layer's shared ASN is owned by the blueprint (5-stage:
the superspine tier's too, and under scheme ``single`` the pods' shared spine ASN;
under ``rfc7938`` each pod holds its spine tier's ASN); leaf ASNs and loopbacks by the
switch; server host addresses by the server; link subnets by the link; VLANs, VNIs and
VN subnets by the virtual network or routing zone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import pydantic

from blueprint_engine.catalogue.entries import Catalogue
from blueprint_engine.catalogue.models import (
    AsnScheme,
    RackType,
    SuperspineSpec,
    Template,
    TemplateType,
    VirtualNetworkSpec,
)
from blueprint_engine.design.model import BlueprintDesign, Role, System
from blueprint_engine.design.networks import (
    DEFAULT_ZONE,
    check_access_racks,
    check_new_network,
    network_demand,
    rack_number,
    routing_zone,
    virtual_network,
)
from blueprint_engine.design.parts import DesignParts, apply_parts
from blueprint_engine.design.pods import (
    PodBuilder,
    check_pod_template,
    collapsed_demand,
    mesh,
    pod_demand,
    pod_plans,
    pod_plans_for,
    resolve,
    superspine_tier,
    switch_tier,
)
from blueprint_engine.design.ports import complete_ports
from blueprint_engine.design.racks import (
    FabricBuilder,
    PortsExhaustedError,
    rack_demand,
)
from blueprint_engine.errors import ValidationError
from blueprint_engine.resources.allocation import Allocator, PoolId, PoolState

__all__ = [
    "DesignParts",
    "PortsExhaustedError",
    "add_pod",
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
    spec = template.spine_spec
    asn = int(allocator.allocate(PoolId.ASN_SPINE, blueprint_name).value)
    places = [(f"spine{index}", None) for index in range(1, spec.count + 1)]
    return switch_tier(catalogue, spec, allocator, Role.SPINE, asn, places)


def _three_stage(
    catalogue: Catalogue, template: Template, blueprint_name: str, allocator: Allocator
) -> DesignParts:
    rack_types = [catalogue.rack_type(r.rack_type) for r in template.racks for _ in range(r.count)]
    spine_count = template.spine_spec.count
    demand = _total(
        [
            {PoolId.ASN_SPINE: 1, "spine-loopback": spine_count},
            *(rack_demand(rack, spine_count) for rack in rack_types),
            network_demand(template.routing_zones, template.virtual_networks, template.overlay),
        ]
    )
    allocator.ensure(resolve(demand, allocator))
    spines = _spine_layer(catalogue, template, blueprint_name, allocator)
    builder = FabricBuilder(catalogue, template.overlay, allocator, spines, {})
    parts = DesignParts(systems=list(spines))
    for number, rack in enumerate(rack_types, start=1):
        parts.extend(builder.rack(number, rack))
    return parts


def _five_stage(
    catalogue: Catalogue, template: Template, blueprint_name: str, allocator: Allocator
) -> DesignParts:
    spec = template.superspines
    if spec is None:
        raise ValidationError(f"template {template.name} has no superspines")
    plans = pod_plans(catalogue, template)
    shared = template.asn_scheme == AsnScheme.SINGLE
    demand = _total(
        [
            {
                PoolId.ASN_SUPERSPINE: 1,
                PoolId.ASN_SPINE: 1 if shared else 0,
                "superspine-loopback": spec.count,
            },
            *(pod_demand(plan, spec, template.asn_scheme) for plan in plans),
            network_demand(template.routing_zones, template.virtual_networks, template.overlay),
        ]
    )
    allocator.ensure(resolve(demand, allocator))
    superspines = superspine_tier(catalogue, spec, blueprint_name, allocator)
    shared_asn = int(allocator.allocate(PoolId.ASN_SPINE, blueprint_name).value) if shared else None
    builder = FabricBuilder(catalogue, template.overlay, allocator, [], {})
    pods = PodBuilder(catalogue, builder, superspines, spec, shared_asn)
    parts = DesignParts(systems=list(superspines))
    for plan in plans:
        parts.extend(pods.pod(plan))
    return parts


def _collapsed(catalogue: Catalogue, template: Template, allocator: Allocator) -> DesignParts:
    rack_types = [catalogue.rack_type(r.rack_type) for r in template.racks for _ in range(r.count)]
    demand = _total(
        [
            collapsed_demand(rack_types),
            network_demand(template.routing_zones, template.virtual_networks, template.overlay),
        ]
    )
    allocator.ensure(resolve(demand, allocator))
    builder = FabricBuilder(catalogue, template.overlay, allocator, [], {})
    parts = DesignParts()
    for number, rack in enumerate(rack_types, start=1):
        parts.extend(builder.rack(number, rack))
    mesh(builder, [s for s in parts.systems if s.role == Role.LEAF], parts)
    return parts


STAGES = {TemplateType.RACK_BASED: 3, TemplateType.POD_BASED: 5, TemplateType.COLLAPSED: 1}


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
    if template.type == TemplateType.POD_BASED:
        parts = _five_stage(catalogue, template, blueprint_name, allocator)
    elif template.type == TemplateType.COLLAPSED:
        parts = _collapsed(catalogue, template, allocator)
    else:
        parts = _three_stage(catalogue, template, blueprint_name, allocator)
    parts.routing_zones = [DEFAULT_ZONE] + [
        routing_zone(spec, template.overlay, allocator) for spec in template.routing_zones
    ]
    parts.virtual_networks = [
        virtual_network(spec, parts.racks, template.overlay, allocator)
        for spec in template.virtual_networks
    ]
    check_access_racks(parts.racks, parts.virtual_networks)
    parts.allocations = allocator.allocations
    parts.interfaces = complete_ports(catalogue, parts.systems, parts.interfaces)
    design = BlueprintDesign(
        blueprint_name,
        template.name,
        template.overlay,
        stages=STAGES[template.type],
        planes=template.superspines.planes if template.superspines else 0,
        asn_scheme=template.asn_scheme.value,
        pools=list(pools),
    )
    return apply_parts(design, parts)


def _state(design: BlueprintDesign, pool_state: PoolState | None) -> PoolState:
    return (pool_state or PoolState()).with_allocations(design.allocations)


def _trailing_number(system_id: str) -> int:
    digits = system_id[len(system_id.rstrip("0123456789")) :]
    return int(digits or 0)


def _pod_spines(design: BlueprintDesign, pod: str | None) -> list[System]:
    """The spines a new rack is cabled to: the fabric's, or in a 5-stage the pod's."""
    spines = [system for system in design.systems if system.role == Role.SPINE]
    pods = sorted({s.pod for s in spines if s.pod}, key=_trailing_number)
    if pods and pod not in pods:
        raise ValidationError(
            f"blueprint {design.name} is a 5-stage fabric: a rack goes into a pod"
            + (f" (no pod {pod!r})" if pod else ""),
            allowed=f"pod one of {', '.join(pods)}",
        )
    if not pods and pod is not None:
        raise ValidationError(
            f"blueprint {design.name} has no pods", allowed="no pod (a 3-stage fabric)"
        )
    chosen = [s for s in spines if s.pod == pod]
    if not chosen:
        raise ValidationError(
            f"blueprint {design.name} has no spines", allowed="a blueprint built from a template"
        )
    return sorted(chosen, key=lambda system: _trailing_number(system.id))


def add_rack(
    design: BlueprintDesign,
    catalogue: Catalogue,
    rack_type: str,
    pool_state: PoolState | None = None,
    pod: str | None = None,
) -> DesignParts:
    """One more rack of ``rack_type`` (into ``pod`` of a 5-stage fabric): ids continue
    after the highest existing rack.

    ``pool_state`` adds values in use outside ``design`` (the design's own
    allocations are always in use). Apply the result with ``apply_parts``.
    """
    rack: RackType = catalogue.rack_type(rack_type)
    spines = _pod_spines(design, pod)
    spine_ids = {spine.id for spine in spines}
    used: dict[str, list[str]] = {spine.id: [] for spine in spines}
    for link in design.links:  # a spine's used ports are its cabled ones
        for end in (link.a, link.b):
            system, _, port = end.partition(":")
            if system in spine_ids:
                used[system].append(port)
    allocator = Allocator(design.pools, _state(design, pool_state))
    allocator.ensure(rack_demand(rack, len(spines)))
    builder = FabricBuilder(catalogue, design.overlay, allocator, spines, used)
    number = max((rack_number(existing.id) for existing in design.racks), default=0) + 1
    parts = builder.rack(number, rack, pod)
    parts.allocations = allocator.allocations
    # the spines' ports exist already: only the new switches' unused ports are added
    parts.interfaces = complete_ports(catalogue, parts.systems, parts.interfaces)
    return parts


def add_pod(
    design: BlueprintDesign,
    catalogue: Catalogue,
    pod_template: str,
    pool_state: PoolState | None = None,
) -> DesignParts:
    """One more pod built from rack-based ``pod_template`` onto a 5-stage fabric: its
    spines cabled to the superspines of their planes (the superspines' free ports),
    its racks numbered after the highest rack. Nothing existing changes but those ports.
    """
    template = catalogue.template(pod_template)
    superspines = sorted(
        (s for s in design.systems if s.role == Role.SUPERSPINE),
        key=lambda system: _trailing_number(system.id),
    )
    if design.stages != 5 or not superspines:
        raise ValidationError(
            f"blueprint {design.name} is not a 5-stage fabric", allowed="add_rack instead"
        )
    check_pod_template(template, design.planes)
    spec = SuperspineSpec(
        planes=design.planes,
        per_plane=len(superspines) // design.planes,
        logical_device=superspines[0].logical_device,
        device_profile=superspines[0].device_profile or "",
    )
    number = max((_trailing_number(p.id) for p in design.pods), default=0) + 1
    first_rack = max((rack_number(r.id) for r in design.racks), default=0) + 1
    plan = pod_plans_for(catalogue, template, number, first_rack)
    scheme = AsnScheme(design.asn_scheme)
    allocator = Allocator(design.pools, _state(design, pool_state))
    allocator.ensure(resolve(pod_demand(plan, spec, scheme), allocator))
    builder = FabricBuilder(catalogue, design.overlay, allocator, [], {})
    for upper in superspines:
        builder.cursor(upper, _used_ports(design, upper.id))
    shared = None
    if scheme == AsnScheme.SINGLE:
        shared = next(s.asn for s in design.systems if s.role == Role.SPINE and s.asn)
    parts = PodBuilder(catalogue, builder, superspines, spec, shared).pod(plan)
    parts.allocations = allocator.allocations
    parts.interfaces = complete_ports(catalogue, parts.systems, parts.interfaces)
    return parts


def _used_ports(design: BlueprintDesign, system: str) -> list[str]:
    prefix = f"{system}:"
    return [
        end.removeprefix(prefix)
        for link in design.links
        for end in (link.a, link.b)
        if end.startswith(prefix)
    ]


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
    check_access_racks(design.racks, [*design.virtual_networks, network])
    return DesignParts(virtual_networks=[network], allocations=allocator.allocations)
