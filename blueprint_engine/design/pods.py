"""5-stage Clos (pod-based templates) and collapsed fabrics (pure).

5-stage::

      superspine1 .. superspineP    plane 1          ...   plane N
         |   \\______________________________________
      pod1-spine1  pod1-spine2 ...   pod2-spine1 ...       spine i of a pod is in plane
         |  \\  /  |                    |  \\  /  |          (i - 1) % planes + 1 and has one
      rack1-leaf1 ... rackK-leafL     rack..-leaf..        link to every superspine of it
         |                              |
      servers                        servers

Order: superspines (plane by plane), then pod by pod: the pod's spines, their links to
the superspines (spine by spine, superspine by superspine), its racks (numbered across
the whole fabric: pod1 holds rack1..rackK, pod2 rackK+1...). Superspine-spine links are
/31s of ``ipv4-superspine-fabric`` (superspine even) with one eBGP session each.

ASNs (RFC 7938 section 5.2.1, scheme ``rfc7938``): one for the superspine tier (held
by the blueprint), one per pod's spine tier (held by the pod), one per leaf. Scheme
``single`` (the reference product's): one for the superspine tier and one shared by the
spines of every pod (both held by the blueprint); a spine then accepts its own ASN once
in paths from the superspines (``allowas-in 1``), or pods would not reach each other.

EVPN overlay: leafs peer with their pod's spines (as in a 3-stage pod) and the spines
with the superspines of their plane: the superspines are the route servers between pods
and the pod spines within a pod. A leaf's EVPN sessions are as many as its pod has
spines (not superspines: 16 on ``xlarge``), and a pod's EVPN stays whole when the
superspine tier is drained.

Collapsed: the racks' leafs (2 to 8) are cabled to each other in a full mesh, each link a
/31 of ``ipv4-fabric`` (lower leaf even) with one eBGP session (and an EVPN session
between the loopbacks with the EVPN overlay); one ASN per leaf, no spine.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from blueprint_engine.catalogue.entries import Catalogue
from blueprint_engine.catalogue.models import (
    AsnScheme,
    PortRole,
    RackType,
    SuperspineSpec,
    SwitchSpec,
    Template,
    TemplateType,
)
from blueprint_engine.design.model import LinkRole, Overlay, Pod, Role, System
from blueprint_engine.design.parts import DesignParts
from blueprint_engine.design.racks import FabricBuilder, profile_port_names, rack_demand
from blueprint_engine.errors import ValidationError
from blueprint_engine.resources.allocation import Allocator, PoolId

PLANES_FIXED = (
    "the superspine planes are fixed when a 5-stage blueprint is built (every pod spine's "
    "plane and superspine links follow from them; build a new blueprint for other planes)"
)


def tier_pool(allocator: Allocator, preferred: PoolId, fallback: PoolId) -> PoolId:
    """A tier's own pool when the template defines it, else the shared one."""
    return preferred if allocator.defines(preferred) else fallback


@dataclass(frozen=True)
class PodPlan:
    """One pod to build: its number, template, rack types and first rack number."""

    number: int
    template: Template
    racks: tuple[RackType, ...]
    first_rack: int

    @property
    def id(self) -> str:
        return f"pod{self.number}"


def pod_plans_for(
    catalogue: Catalogue, pod_template: Template, number: int, first_rack: int
) -> PodPlan:
    racks = tuple(
        catalogue.rack_type(r.rack_type) for r in pod_template.racks for _ in range(r.count)
    )
    return PodPlan(number, pod_template, racks, first_rack)


def pod_plans(catalogue: Catalogue, template: Template) -> list[PodPlan]:
    """Every pod of a pod-based template, numbered from 1, racks numbered across pods."""
    plans = []
    number, rack_number = 1, 1
    for pod in template.pods:
        pod_template = catalogue.template(pod.template)
        for _ in range(pod.count):
            plan = pod_plans_for(catalogue, pod_template, number, rack_number)
            plans.append(plan)
            number += 1
            rack_number += len(plan.racks)
    return plans


def check_pod_template(pod_template: Template, planes: int) -> None:
    """A pod added to a built fabric fits its planes (which cannot change)."""
    if pod_template.type != TemplateType.RACK_BASED:
        raise ValidationError(
            f"template {pod_template.name} is {pod_template.type.value}",
            allowed="a rack_based template (its spines and racks make the pod)",
        )
    spines = pod_template.spine_spec.count
    if spines % planes:
        raise ValidationError(
            f"template {pod_template.name} has {spines} spines, which cannot be spread over "
            f"the blueprint's {planes} planes; {PLANES_FIXED}",
            allowed=f"a pod template with a multiple of {planes} spines",
        )


def pod_demand(plan: PodPlan, superspines: SuperspineSpec, scheme: AsnScheme) -> dict[str, int]:
    """Resources one pod allocates, per pool id (its spine ASN under ``rfc7938`` only)."""
    spines = plan.template.spine_spec.count
    total: Counter[str] = Counter(
        {
            PoolId.ASN_SPINE: 1 if scheme == AsnScheme.RFC7938 else 0,
            "spine-loopback": spines,
            PoolId.SUPERSPINE_FABRIC: spines * superspines.per_plane,
        }
    )
    for rack in plan.racks:
        total.update(rack_demand(rack, spines))
    return dict(total)


def resolve(demand: Mapping[str, int], allocator: Allocator) -> dict[str, int]:
    """Map the tier placeholders of a demand onto the pools that serve them."""
    pools = {
        "spine-loopback": tier_pool(allocator, PoolId.LOOPBACK_SPINE, PoolId.LOOPBACK),
        "superspine-loopback": tier_pool(allocator, PoolId.LOOPBACK_SUPERSPINE, PoolId.LOOPBACK),
    }
    total: Counter[str] = Counter()
    for key, count in demand.items():
        if count:
            total[pools.get(key, key)] += count
    return dict(total)


def switch_tier(
    catalogue: Catalogue,
    spec: SwitchSpec,
    allocator: Allocator,
    role: Role,
    asn: int,
    places: Sequence[tuple[str, int | None]],
    pod: str | None = None,
) -> list[System]:
    """A tier of switches of one spec sharing ``asn``, one per (id, plane) of ``places``
    in order, each with a loopback of the tier's pool (allocated in that order)."""
    pool = tier_pool(
        allocator,
        PoolId.LOOPBACK_SUPERSPINE if role == Role.SUPERSPINE else PoolId.LOOPBACK_SPINE,
        PoolId.LOOPBACK,
    )
    ports = profile_port_names(catalogue, spec.device_profile)
    return [
        System(
            id=system_id,
            hostname=system_id,
            role=role,
            rack=None,
            logical_device=spec.logical_device,
            device_profile=spec.device_profile,
            asn=asn,
            loopback=allocator.allocate(pool, system_id).value,
            ports=ports,
            pod=pod,
            plane=plane,
        )
        for system_id, plane in places
    ]


def superspine_tier(
    catalogue: Catalogue, spec: SuperspineSpec, blueprint_name: str, allocator: Allocator
) -> list[System]:
    asn = int(allocator.allocate(PoolId.ASN_SUPERSPINE, blueprint_name).value)
    places = [
        (f"superspine{index}", (index - 1) // spec.per_plane + 1)
        for index in range(1, spec.count + 1)
    ]
    return switch_tier(catalogue, spec, allocator, Role.SUPERSPINE, asn, places)


class PodBuilder:
    """Builds pods onto a fixed superspine tier, sharing one allocator and cursors."""

    def __init__(
        self,
        catalogue: Catalogue,
        builder: FabricBuilder,
        superspines: Sequence[System],
        spec: SuperspineSpec,
        shared_spine_asn: int | None,
    ) -> None:
        self.catalogue = catalogue
        self.builder = builder
        self.superspines = list(superspines)
        self.spec = spec
        self.shared_spine_asn = shared_spine_asn

    def _spines(self, plan: PodPlan, asn: int) -> list[System]:
        spec = plan.template.spine_spec
        places = [
            (f"{plan.id}-spine{index}", (index - 1) % self.spec.planes + 1)
            for index in range(1, spec.count + 1)
        ]
        allocator = self.builder.allocator
        return switch_tier(self.catalogue, spec, allocator, Role.SPINE, asn, places, plan.id)

    def pod(self, plan: PodPlan) -> DesignParts:
        """A pod's spines, their superspine links and sessions, and its racks."""
        builder = self.builder
        if self.shared_spine_asn is None:
            asn = int(builder.allocator.allocate(PoolId.ASN_SPINE, plan.id).value)
        else:
            asn = self.shared_spine_asn
        spines = self._spines(plan, asn)
        parts = DesignParts(systems=list(spines))
        for spine in spines:
            builder.cursor(spine)  # kept: the racks' links take the spine's leaf ports
            for upper in self.superspines:
                if upper.plane != spine.plane:
                    continue
                role, pool = LinkRole.SUPERSPINE_SPINE, PoolId.SUPERSPINE_FABRIC
                pair: Pair = (upper, "spine"), (spine, "superspine")
                _peer(builder, pair, role, pool, parts)
        builder.spines = spines
        for offset, rack in enumerate(plan.racks):
            parts.extend(builder.rack(plan.first_rack + offset, rack, plan.id))
        rack_ids = tuple(r.id for r in parts.racks)
        owned_asn = None if self.shared_spine_asn is not None else asn
        spine_ids = tuple(s.id for s in spines)
        parts.pods.append(Pod(plan.id, plan.template.name, spine_ids, rack_ids, owned_asn))
        return parts


Pair = tuple[tuple[System, PortRole], tuple[System, PortRole]]  # (switch, port role) a, b


def _peer(
    builder: FabricBuilder,
    pair: Pair,
    role: LinkRole,
    pool: PoolId,
    parts: DesignParts,
) -> None:
    """One cable between two switches (each end the next free port of its role, side a
    first) with its eBGP session, and an EVPN session when the overlay is EVPN."""
    (a, a_role), (b, b_role) = pair
    a_port = builder.cursor(a).take(a_role)
    b_port = builder.cursor(b).take(b_role)
    builder.cable(a, a_port, b, b_port, role, pool, parts)
    if builder.overlay == Overlay.EVPN:
        parts.sessions.append(builder.evpn_session(a, b))


def mesh(builder: FabricBuilder, leafs: Sequence[System], parts: DesignParts) -> None:
    """Collapsed: every pair of leafs cabled once (lower leaf on side a), eBGP on each."""
    for a, b in itertools.combinations(leafs, 2):
        _peer(builder, ((a, "leaf"), (b, "leaf")), LinkRole.LEAF_LEAF, PoolId.FABRIC, parts)


def collapsed_demand(rack_types: Sequence[RackType]) -> dict[str, int]:
    total: Counter[str] = Counter()
    leafs = sum(rack.leaf_count for rack in rack_types)
    for rack in rack_types:
        total.update(rack_demand(rack, 0))
    total[PoolId.FABRIC] += leafs * (leafs - 1) // 2
    return dict(total)
