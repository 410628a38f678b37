"""Pydantic models of the design catalogue's entries (one YAML list item each).

Kinds, and the YAML section holding them: ``logical_devices``,
``device_profiles``, ``interface_maps``, ``rack_types``, ``templates``.
Each model checks itself; references between entries are checked by
``catalogue_checks`` once the whole catalogue is known.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from enum import StrEnum
from functools import cached_property
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from blueprint_engine import grammar as limits
from blueprint_engine.configs.rendering import configlet_syntax_problem
from blueprint_engine.design.model import Overlay, Pool
from blueprint_engine.resources.allocation import (
    POOL_KIND,
    POOL_PREFIX_LEN,
    Policy,
    PoolId,
    pool_spans,
)

Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")]


def _speed(value: int) -> int:
    if value not in limits.SPEEDS_MBPS:
        raise PydanticCustomError(
            "speed",
            "speed_mbps {value} is not allowed (allowed: {speeds})",
            {"value": value, "speeds": limits.SPEEDS_TEXT},
        )
    return value


def _text(value: str) -> str:
    problem = limits.TEXT.problem("text", value)
    if problem:
        raise PydanticCustomError("text", "{problem}", {"problem": problem})
    return value


Speed = Annotated[int, AfterValidator(_speed)]
Text = Annotated[str, AfterValidator(_text)]
PortCount = Annotated[int, Field(gt=0, le=limits.MAX_PORTS_PER_DEVICE)]
PortRole = Literal["superspine", "spine", "leaf", "server"]
ServerAttachment = Literal["routed", "access", "trunk"]
Nos = Literal["linux_frr", "eos", "nxos", "junos"]

MEDIA_BY_SPEED: dict[int, str] = {
    1_000: "1000BASE-T",
    10_000: "10GBASE-SR",
    25_000: "25GBASE-SR",
    40_000: "40GBASE-SR4",
    50_000: "50GBASE-SR",
    100_000: "100GBASE-SR4",
    200_000: "200GBASE-SR4",
    400_000: "400GBASE-DR4",
}


class Strict(BaseModel):
    """Frozen; unknown fields are errors (``allowed_fields`` names the known ones)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _unwrap(annotation: Any) -> Any:
    """The model type inside ``Annotated``, ``X | None`` and similar wrappers."""
    while get_origin(annotation) in (Annotated, Union, UnionType):
        models = [arg for arg in get_args(annotation) if arg is not type(None)]
        annotation = models[0]
    return annotation


def allowed_fields(model: type[BaseModel], location: tuple[str | int, ...]) -> list[str]:
    """Field names of the model found at ``location`` below ``model`` ([] if none)."""
    current: Any = model
    for part in location:
        current = _unwrap(current)
        origin = get_origin(current)
        if origin is tuple or origin is list:
            current = get_args(current)[0]
        elif origin is dict:
            current = get_args(current)[1]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return []
            current = field.annotation
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


class Entry(Strict):
    """A named catalogue entry."""

    name: Name


class PortGroup(Strict):
    count: PortCount
    speed_mbps: Speed
    roles: Annotated[tuple[PortRole, ...], Field(min_length=1, max_length=4)]


def _port_total(total: int) -> None:
    if total > limits.MAX_PORTS_PER_DEVICE:
        raise PydanticCustomError(
            "too_many_ports",
            "{total} ports in all (allowed: at most {limit} ports per device)",
            {"total": total, "limit": limits.MAX_PORTS_PER_DEVICE},
        )


class LogicalDevice(Entry):
    """Abstract ports: groups of ``count`` ports of one speed, each usable for ``roles``."""

    port_groups: Annotated[tuple[PortGroup, ...], Field(min_length=1, max_length=64)]

    @model_validator(mode="after")
    def _bounded(self) -> LogicalDevice:
        _port_total(sum(group.count for group in self.port_groups))
        return self

    @cached_property
    def ports(self) -> tuple[PortGroup, ...]:
        """One entry per logical port (numbered from 1 in this order)."""
        return tuple(group for group in self.port_groups for _ in range(group.count))

    def ports_for(self, role: PortRole) -> int:
        return sum(group.count for group in self.port_groups if role in group.roles)


class Breakout(Strict):
    lanes: Literal[2, 4, 8]
    speed_mbps: Speed


class PortRange(Strict):
    """``count`` ports named ``<prefix><first>``, ``<prefix><first+1>``..."""

    prefix: Annotated[
        str, Field(pattern=r"^[A-Za-z][A-Za-z0-9/_-]*$", max_length=limits.MAX_PORT_PREFIX)
    ] = "swp"
    first: Annotated[int, Field(ge=0, le=limits.MAX_PORT_NUMBER)] = 1
    count: PortCount
    speed_mbps: Speed
    media: Text | None = None  # transceiver media; default by speed
    breakouts: Annotated[tuple[Breakout, ...], Field(max_length=8)] = ()

    @model_validator(mode="after")
    def _media_known(self) -> PortRange:
        if self.media is None and self.speed_mbps not in MEDIA_BY_SPEED:
            raise PydanticCustomError(
                "media_required",
                "media is required for speed_mbps {speed} (a default exists for: {speeds})",
                {"speed": self.speed_mbps, "speeds": ", ".join(map(str, MEDIA_BY_SPEED))},
            )
        return self


class PhysicalPort(Strict):
    name: str
    speed_mbps: int
    media: str
    breakouts: tuple[Breakout, ...] = ()


class OsVersions(Strict):
    """The NOS versions allowed on a device profile (inclusive; an open end allows any)."""

    min: Text | None = None
    max: Text | None = None


class DeviceProfile(Entry):
    """Hardware: model, NOS and the physical ports in port order. ``models`` are other
    model strings devices of this profile report (matched at registration, with
    ``hardware_model``); ``os_versions`` the allowed NOS version range."""

    hardware_model: Text
    nos: Nos
    models: Annotated[tuple[Text, ...], Field(max_length=32)] = ()
    os_versions: OsVersions | None = None
    ports: Annotated[tuple[PortRange, ...], Field(min_length=1, max_length=256)]

    @model_validator(mode="after")
    def _unique_port_names(self) -> DeviceProfile:
        _port_total(sum(group.count for group in self.ports))
        names = [port.name for port in self.physical_ports]
        if len(set(names)) != len(names):
            duplicate = next(name for name in names if names.count(name) > 1)
            raise PydanticCustomError(
                "duplicate_port", "port {port} is defined twice", {"port": duplicate}
            )
        return self

    @cached_property
    def physical_ports(self) -> tuple[PhysicalPort, ...]:
        return tuple(
            PhysicalPort(
                name=f"{group.prefix}{group.first + offset}",
                speed_mbps=group.speed_mbps,
                media=group.media or MEDIA_BY_SPEED[group.speed_mbps],
                breakouts=group.breakouts,
            )
            for group in self.ports
            for offset in range(group.count)
        )


class PortMapping(Strict):
    """Logical ports ``logical_first..+count-1`` served by consecutive physical ports."""

    logical_first: PortCount
    physical_first: Annotated[str, Field(min_length=1, max_length=64)]
    count: PortCount


class InterfaceMap(Entry):
    logical_device: Name
    device_profile: Name
    ports: Annotated[tuple[PortMapping, ...], Field(min_length=1, max_length=256)]


class SwitchSpec(Strict):
    logical_device: Name
    device_profile: Name


class ServerSpec(Strict):
    count: Annotated[int, Field(gt=0, le=limits.MAX_SERVERS_PER_RACK)]
    logical_device: Name
    homing: Literal["single", "dual"]  # dual: one set of links to each leaf of the pair
    links_per_leaf: Annotated[int, Field(gt=0, le=limits.MAX_LINKS_PER_LEAF)] = 1
    # routed: a /31 per link and a host address (no virtual network reaches the port);
    # access: the port is in the one virtual network bound to the rack, untagged;
    # trunk: the port carries every virtual network bound to the rack, 802.1Q tagged
    attachment: ServerAttachment = "routed"


class RackType(Entry):
    leafs: Literal["single", "pair"]
    leaf: SwitchSpec
    servers: ServerSpec
    uplinks_per_spine: Literal[1] = 1

    @model_validator(mode="after")
    def _homing_fits(self) -> RackType:
        if self.servers.homing == "dual" and self.leafs != "pair":
            raise PydanticCustomError(
                "homing", "dual-homed servers need leafs: pair (allowed with single: homing single)"
            )
        if self.servers.homing == "dual" and self.servers.attachment != "routed":
            raise PydanticCustomError(
                "attachment",
                "layer-2 servers are single-homed for now: a dual-homed one needs a bond "
                "across the leaf pair with EVPN multihoming, not built yet (allowed: "
                "homing single with attachment access/trunk, or attachment routed)",
            )
        if self.servers.attachment != "routed" and self.servers.links_per_leaf != 1:
            raise PydanticCustomError(
                "attachment",
                "a layer-2 server has one link to its leaf (several would need a bond; "
                "allowed: links_per_leaf 1)",
            )
        return self

    @property
    def leaf_count(self) -> int:
        return 2 if self.leafs == "pair" else 1


class SpineSpec(SwitchSpec):
    count: Annotated[int, Field(gt=0, le=limits.MAX_SPINES)]


class RackCount(Strict):
    rack_type: Name
    count: Annotated[int, Field(gt=0, le=limits.MAX_RACKS)]


class PoolSpec(Strict):
    kind: Literal["asn", "ipv4", "vni", "vlan"]
    ranges: Annotated[
        tuple[Annotated[str, Field(max_length=64)], ...],
        Field(min_length=1, max_length=limits.MAX_POOL_RANGES),
    ]
    prefix_len: Annotated[int, Field(ge=1, le=32)] | None = None
    policy: Policy = Policy.LOWEST_FREE

    def to_pool(self, pool_id: str) -> Pool:
        return Pool(pool_id, self.kind, self.ranges, self.prefix_len, self.policy.value)

    @model_validator(mode="after")
    def _ranges_parse(self) -> PoolSpec:
        try:
            pool_spans(self.to_pool("pool"))
        except ValueError as exc:
            raise PydanticCustomError("pool_range", "{reason}", {"reason": str(exc)}) from None
        return self


class RoutingZoneSpec(Strict):
    name: Name
    vrf: Name | None = None  # defaults to the name


class VirtualNetworkSpec(Strict):
    """A VLAN (and VNI with EVPN) with a subnet sliced per bound rack."""

    name: Name
    routing_zone: Name = "default"
    vlan: Annotated[int, Field(ge=1, le=4094)] | None = None  # None: from the vlan pool
    racks: Annotated[
        tuple[Annotated[str, Field(pattern=r"^rack[1-9][0-9]{0,5}$")], ...],
        Field(max_length=limits.MAX_BOUND_RACKS),
    ] = ()
    # bind every rack of these types too
    rack_types: Annotated[tuple[Name, ...], Field(max_length=limits.MAX_RACK_TYPES_PER_VN)] = ()
    rack_prefix_len: Annotated[int, Field(ge=8, le=30)] = 24


class TemplateType(StrEnum):
    RACK_BASED = "rack_based"  # 3-stage: spines and racks
    POD_BASED = "pod_based"  # 5-stage: superspine planes joining pods of rack-based templates
    COLLAPSED = "collapsed"  # no spines: a leaf pair, or a small full mesh of leafs


class AsnScheme(StrEnum):
    # 3-stage: one ASN for the spine layer, one per leaf
    SPINE_SHARED = "spine-layer-shared-leaf-unique"
    # 5-stage, RFC 7938 section 5.2.1: one ASN for the superspine tier, one per pod's spine
    # tier, one per leaf
    RFC7938 = "rfc7938"
    # 5-stage, the reference product's `single`: one ASN for the superspine tier, one ASN
    # shared by the spines of every pod (spines accept their own ASN once from superspines)
    SINGLE = "single"
    # collapsed: one ASN per leaf, nothing else
    LEAF_UNIQUE = "leaf-unique"


SCHEMES_BY_TYPE: Mapping[TemplateType, tuple[AsnScheme, ...]] = {
    TemplateType.RACK_BASED: (AsnScheme.SPINE_SHARED,),
    TemplateType.POD_BASED: (AsnScheme.RFC7938, AsnScheme.SINGLE),
    TemplateType.COLLAPSED: (AsnScheme.LEAF_UNIQUE,),
}
# the fields each template type needs and refuses
FIELDS_BY_TYPE: Mapping[TemplateType, tuple[tuple[str, ...], tuple[str, ...]]] = {
    TemplateType.RACK_BASED: (("spines", "racks"), ("superspines", "pods")),
    TemplateType.POD_BASED: (("superspines", "pods"), ("spines", "racks")),
    TemplateType.COLLAPSED: (("racks",), ("spines", "superspines", "pods")),
}
OPTIONAL_POOLS = (
    PoolId.VNI,
    PoolId.VIRTUAL_NETWORK,
    PoolId.VLAN,
    PoolId.LOOPBACK_SUPERSPINE,
    PoolId.LOOPBACK_SPINE,
)
POOLS_BY_TYPE: Mapping[TemplateType, frozenset[PoolId]] = {
    TemplateType.RACK_BASED: frozenset(
        set(PoolId) - set(OPTIONAL_POOLS) - {PoolId.ASN_SUPERSPINE, PoolId.SUPERSPINE_FABRIC}
    ),
    TemplateType.POD_BASED: frozenset(set(PoolId) - set(OPTIONAL_POOLS)),
    TemplateType.COLLAPSED: frozenset(
        set(PoolId)
        - set(OPTIONAL_POOLS)
        - {PoolId.ASN_SUPERSPINE, PoolId.SUPERSPINE_FABRIC, PoolId.ASN_SPINE}
    ),
}
# the optional per-tier pools a template type may define
TIER_POOLS_BY_TYPE: Mapping[TemplateType, frozenset[PoolId]] = {
    TemplateType.RACK_BASED: frozenset({PoolId.LOOPBACK_SPINE}),
    TemplateType.POD_BASED: frozenset({PoolId.LOOPBACK_SPINE, PoolId.LOOPBACK_SUPERSPINE}),
    TemplateType.COLLAPSED: frozenset(),
}


def _check_pools(
    pools: dict[PoolId, PoolSpec], overlay: Overlay, with_vns: bool, kind: TemplateType
) -> None:
    required: set[PoolId] = set(POOLS_BY_TYPE[kind])
    if overlay == Overlay.EVPN:
        required.add(PoolId.VNI)
    if with_vns:
        required |= {PoolId.VIRTUAL_NETWORK, PoolId.VLAN}
    missing = sorted(required - set(pools))
    if missing:
        raise PydanticCustomError(
            "pools_missing",
            "pools {missing} are missing (this template needs: {required})",
            {"missing": ", ".join(missing), "required": ", ".join(sorted(required))},
        )
    allowed = required | set(TIER_POOLS_BY_TYPE[kind]) | {PoolId.VNI, PoolId.VLAN}
    allowed.add(PoolId.VIRTUAL_NETWORK)
    extra = sorted(set(pools) - allowed)
    if extra:
        raise PydanticCustomError(
            "pools_unused",
            "pools {extra} have no use in a {kind} template (allowed: {allowed})",
            {"extra": ", ".join(extra), "kind": kind.value, "allowed": ", ".join(sorted(allowed))},
        )
    for pool_id, spec in sorted(pools.items()):
        expected_len = POOL_PREFIX_LEN.get(pool_id)
        if spec.kind != POOL_KIND[pool_id] or (expected_len and spec.prefix_len != expected_len):
            size = f" with prefix_len {expected_len}" if expected_len else ""
            raise PydanticCustomError(
                "pool_kind",
                "pool {pool} must be kind {kind}{size}",
                {"pool": pool_id.value, "kind": POOL_KIND[pool_id], "size": size},
            )
    _check_tier_pools_apart(pools)


def _check_tier_pools_apart(pools: dict[PoolId, PoolSpec]) -> None:
    """A per-tier pool shares no value with the pool it splits from (addresses stay unique)."""
    pairs = (
        (PoolId.LOOPBACK_SUPERSPINE, PoolId.LOOPBACK),
        (PoolId.LOOPBACK_SPINE, PoolId.LOOPBACK),
        (PoolId.LOOPBACK_SUPERSPINE, PoolId.LOOPBACK_SPINE),
        (PoolId.SUPERSPINE_FABRIC, PoolId.FABRIC),
    )
    for tier, other in pairs:
        if tier not in pools or other not in pools:
            continue
        for mine in pools[tier].ranges:
            for theirs in pools[other].ranges:
                if ipaddress.IPv4Network(mine).overlaps(ipaddress.IPv4Network(theirs)):
                    raise PydanticCustomError(
                        "pool_overlap",
                        "pool {tier} range {mine} overlaps pool {other} range {theirs}"
                        " (allowed: ranges apart, so every address is held once)",
                        {"tier": tier.value, "mine": mine, "other": other.value, "theirs": theirs},
                    )


class SuperspineSpec(SwitchSpec):
    """5-stage: ``planes`` planes of ``per_plane`` superspines. A pod's spine ``i`` is in
    plane ``(i - 1) % planes + 1`` and has ``links_per_superspine`` links to every
    superspine of its plane."""

    planes: Annotated[int, Field(gt=0, le=limits.MAX_PLANES)]
    per_plane: Annotated[int, Field(gt=0, le=limits.MAX_SUPERSPINES_PER_PLANE)]
    links_per_superspine: Literal[1] = 1

    @property
    def count(self) -> int:
        return self.planes * self.per_plane


class PodCount(Strict):
    """``count`` pods, each built from the rack-based template ``template``."""

    template: Name
    count: Annotated[int, Field(gt=0, le=limits.MAX_PODS)]


def _shape_problem(template: Template) -> str | None:
    """The first field that does not fit the template's type, or None."""
    needs, refuses = FIELDS_BY_TYPE[template.type]
    for name in needs:
        if not getattr(template, name):
            return f"{name} is required for type {template.type.value}"
    for name in refuses:
        if getattr(template, name):
            return (
                f"{name} is not allowed for type {template.type.value} "
                f"(allowed: {', '.join(needs)})"
            )
    schemes = SCHEMES_BY_TYPE[template.type]
    if template.asn_scheme not in schemes:
        return (
            f"asn_scheme {template.asn_scheme.value} does not fit type {template.type.value} "
            f"(allowed: {', '.join(s.value for s in schemes)})"
        )
    if template.type == TemplateType.POD_BASED and template.virtual_networks:
        return (
            "virtual_networks are not allowed in a pod_based template "
            "(allowed: add_virtual_network once it is built)"
        )
    return None


class Template(Entry):
    """A fabric: rack-based (3-stage), pod-based (5-stage) or collapsed (see ``type``)."""

    type: TemplateType = TemplateType.RACK_BASED
    spines: SpineSpec | None = None
    racks: Annotated[tuple[RackCount, ...], Field(max_length=64)] = ()
    superspines: SuperspineSpec | None = None
    pods: Annotated[tuple[PodCount, ...], Field(max_length=64)] = ()
    asn_scheme: AsnScheme = AsnScheme.SPINE_SHARED
    overlay: Overlay
    pools: dict[PoolId, PoolSpec]
    routing_zones: Annotated[tuple[RoutingZoneSpec, ...], Field(max_length=limits.MAX_ZONES)] = ()
    virtual_networks: Annotated[
        tuple[VirtualNetworkSpec, ...], Field(max_length=limits.MAX_VIRTUAL_NETWORKS)
    ] = ()

    @model_validator(mode="after")
    def _pools_fit_intent(self) -> Template:
        problem = _shape_problem(self)
        if problem:
            raise PydanticCustomError("template_shape", "{problem}", {"problem": problem})
        racks = sum(rack.count for rack in self.racks)
        if racks > limits.MAX_RACKS:
            raise PydanticCustomError(
                "too_many_racks",
                "{racks} racks in all (allowed: at most {limit} racks per template)",
                {"racks": racks, "limit": limits.MAX_RACKS},
            )
        pods = sum(pod.count for pod in self.pods)
        if pods > limits.MAX_PODS:
            raise PydanticCustomError(
                "too_many_pods",
                "pods: {pods} pods in all (allowed: at most {limit})",
                {"pods": pods, "limit": limits.MAX_PODS},
            )
        _check_pools(self.pools, self.overlay, bool(self.virtual_networks), self.type)
        names = [zone.name for zone in self.routing_zones] + [
            network.name for network in self.virtual_networks
        ]
        if len(set(names)) != len(names) or "default" in names[: len(self.routing_zones)]:
            raise PydanticCustomError(
                "duplicate_name",
                "routing zone and virtual network names must be unique and not 'default'"
                " (the default zone always exists)",
            )
        return self

    @property
    def spine_spec(self) -> SpineSpec:
        """The spines of a rack-based template (a pod's spines in a 5-stage)."""
        if self.spines is None:
            raise ValueError(f"template {self.name} is {self.type.value}: it has no spines")
        return self.spines

    def pool_models(self) -> tuple[Pool, ...]:
        return tuple(spec.to_pool(pool_id.value) for pool_id, spec in sorted(self.pools.items()))


# -- configlets ---------------------------------------------------------------------------
ConfigletText = Annotated[str, Field(min_length=1, max_length=limits.MAX_CONFIGLET_CHARS)]
SECTIONS: dict[str, tuple[str, ...]] = {  # where a NOS's configlet lines may land
    "linux_frr": ("frr", "interfaces"),  # /etc/frr/frr.conf or /etc/network/interfaces
    "eos": ("system",),  # appended to the configuration, after the rendered intent
    "nxos": ("system",),
    "junos": ("system",),
}
RackName = Annotated[str, Field(pattern=r"^rack[1-9][0-9]{0,5}$")]
SystemId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")]


ScopeNames = Annotated[tuple[Name, ...], Field(max_length=limits.MAX_SCOPE_ITEMS)]


class ConfigletScope(Strict):
    """Which switches get a configlet: each field given must match (any of its values);
    an empty scope is every switch of the blueprint."""

    roles: Annotated[tuple[Literal["spine", "leaf"], ...], Field(max_length=2)] = ()
    device_profiles: ScopeNames = ()
    racks: Annotated[tuple[RackName, ...], Field(max_length=limits.MAX_SCOPE_ITEMS)] = ()
    systems: Annotated[tuple[SystemId, ...], Field(max_length=limits.MAX_SCOPE_ITEMS)] = ()
    tags: ScopeNames = ()


class ConfigletGenerator(Strict):
    """One NOS's text: a Jinja2 template (sandboxed), the section it lands in and, for the
    NOSes that apply deltas (eos, nxos, junos), the negation that removes it."""

    template: ConfigletText
    section: str | None = None  # default: the NOS's first section
    negation: ConfigletText | None = None


def _check_generator(nos: str, generator: ConfigletGenerator) -> None:
    sections = SECTIONS[nos]
    if generator.section is not None and generator.section not in sections:
        raise PydanticCustomError(
            "section",
            "{nos}: section '{section}' is not allowed (allowed: {allowed})",
            {"nos": nos, "section": generator.section, "allowed": ", ".join(sections)},
        )
    for what, source in (("template", generator.template), ("negation", generator.negation)):
        problem = configlet_syntax_problem(source) if source else None
        if problem:
            raise PydanticCustomError(
                "template",
                "{nos}: the {what} is not a valid template: {problem} (allowed: Jinja2 syntax)",
                {"nos": nos, "what": what, "problem": problem},
            )
    if generator.negation is not None and nos == "linux_frr":
        raise PydanticCustomError(
            "negation",
            "linux_frr: a negation is not used: removing the configlet removes its lines by "
            "the config diff (frr-reload) (allowed: negation for eos, nxos, junos)",
        )


class Configlet(Entry):
    """Operator config text per NOS, attached to blueprints (``attach_configlet``)."""

    generators: Annotated[dict[Nos, ConfigletGenerator], Field(min_length=1)]
    scope: ConfigletScope = ConfigletScope()

    @field_validator("generators")
    @classmethod
    def _sections_fit(
        cls, generators: dict[Nos, ConfigletGenerator]
    ) -> dict[Nos, ConfigletGenerator]:
        for nos, generator in sorted(generators.items()):
            _check_generator(nos, generator)
        return generators

    def section_of(self, nos: str) -> str:
        generator = self.generators[nos]  # type: ignore[index]
        return generator.section or SECTIONS[nos][0]


ENTRY_KINDS: dict[str, type[Entry]] = {
    "logical_devices": LogicalDevice,
    "device_profiles": DeviceProfile,
    "interface_maps": InterfaceMap,
    "rack_types": RackType,
    "templates": Template,
    "configlets": Configlet,
}
