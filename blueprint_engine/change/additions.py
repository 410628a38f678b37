"""Staged additions (a rack, a virtual network) built by the pure design engine.

The handler reads the blueprint's skeleton (spines and their used ports, racks,
pools, resources in use) in the caller's transaction, asks ``design`` for the new
parts, writes them, and returns the diff and the inverse (delete what was added).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from blueprint_engine.catalogue.models import VirtualNetworkSpec
from blueprint_engine.change.edits import DeleteNodes, SetPortAddresses
from blueprint_engine.change.model import (
    Applied,
    DiffEntry,
    Edit,
    EditContext,
    EditKind,
    NodeRef,
    Params,
    added,
    modified,
    text,
)
from blueprint_engine.design import build as design_engine
from blueprint_engine.design.model import (
    Allocation,
    BlueprintDesign,
    Link,
    LinkRole,
    Overlay,
    Pod,
    Pool,
    Rack,
    Role,
    RoutingZone,
    System,
    VirtualNetwork,
)
from blueprint_engine.design.parts import DesignParts
from blueprint_engine.design.store import write_parts
from blueprint_engine.errors import ValidationError
from blueprint_engine.graph.db import Query
from blueprint_engine.resources.allocation import PoolId, PoolState

SKELETON = Query(
    "additions.skeleton",
    """
    MATCH (b:Blueprint {name: $bp})
    CALL (b) {
      // only an addition that cables switches reads them (a virtual network reads none)
      WITH b WHERE $with_spines OR $with_superspines
      MATCH (b)-[:HAS_SYSTEM]->(s:System)
      WHERE (s.role = 'spine' AND $with_spines AND ($pod IS NULL OR s.pod = $pod))
         OR (s.role = 'superspine' AND $with_superspines)
      OPTIONAL MATCH (s)-[:HAS_INTERFACE]->(:Interface)<-[:ENDPOINT]-(l:Link)
      OPTIONAL MATCH (l)-[:ENDPOINT {side: 'a'}]->(a:Interface)
      OPTIONAL MATCH (l)-[:ENDPOINT {side: 'b'}]->(z:Interface)
      WITH s, collect(CASE WHEN l IS NULL THEN NULL
                      ELSE [l.id, a.id, z.id, l.role, l.speed_mbps] END) AS links
      RETURN collect(s {.*, links: links}) AS spines
    }
    CALL (b) {
      MATCH (b)-[:HAS_RACK]->(k:Rack)
      RETURN collect(k {.id, .rack_type, .redundancy, .server_attachment}) AS racks
    }
    CALL (b) {
      MATCH (b)-[:HAS_POOL]->(p:Pool)
      RETURN collect(p {.*}) AS pools
    }
    CALL (b) {
      OPTIONAL MATCH (b)-[:HAS_POD]->(p:Pod)
      RETURN collect(p {.id, .template, .asn}) AS pods
    }
    CALL (b) {
      UNWIND $pools AS pool
      MATCH (r:Resource {blueprint: $bp, pool: pool})
      RETURN collect([r.pool, r.value, r.owner]) AS resources
    }
    CALL (b) {
      OPTIONAL MATCH (z:RoutingZone {blueprint: $bp})
      RETURN collect(z {.id, .vrf, .vni}) AS zones
    }
    CALL (b) {
      OPTIONAL MATCH (v:VirtualNetwork {blueprint: $bp})
      RETURN collect([v.id, [(v)-[:BOUND_TO]->(k:Rack) | k.id]]) AS networks
    }
    RETURN b.overlay AS overlay, b.stages AS stages, b.planes AS planes,
           b.asn_scheme AS asn_scheme, spines, racks, pods, pools, resources, zones, networks
    """,
)


# the pools whose values an addition may draw from (only their values in use are read)
RACK_POOLS = [str(p) for p in PoolId if p not in (PoolId.VIRTUAL_NETWORK, PoolId.VLAN)]
NETWORK_POOLS = [str(PoolId.VIRTUAL_NETWORK), str(PoolId.VLAN), str(PoolId.VNI)]


@dataclass(frozen=True)
class Wanted:
    """Which switches an addition reads: spines (of one pod, or all), superspines."""

    spines: bool = False
    pod: str | None = None
    superspines: bool = False


def _skeleton(
    ctx: EditContext, pools: list[str], wanted: Wanted
) -> tuple[BlueprintDesign, PoolState]:
    """What an addition needs of the blueprint: work proportional to what is added.

    The pool state carries the last value each pool handed out (policy
    ``sequential_from_last`` continues after it); values in use are the skeleton's.
    """
    rows = ctx.graph.run(
        ctx.tx,
        SKELETON,
        bp=ctx.blueprint,
        pools=pools,
        with_spines=wanted.spines,
        pod=wanted.pod,
        with_superspines=wanted.superspines,
    )
    if not rows:
        raise ValidationError(f"no blueprint named {ctx.blueprint!r}")
    row = rows[0]
    skeleton = BlueprintDesign(
        ctx.blueprint,
        "",
        Overlay(row["overlay"]),
        stages=row["stages"] or 3,
        planes=row["planes"] or 0,
        asn_scheme=row["asn_scheme"] or "spine-layer-shared-leaf-unique",
    )
    skeleton.pods = [Pod(p["id"], p["template"], (), (), p["asn"]) for p in row["pods"]]
    for s in row["spines"]:
        skeleton.systems.append(
            System(
                s["id"],
                s["hostname"],
                Role(s["role"]),
                None,
                s["logical_device"],
                s["device_profile"],
                s["asn"],
                s["loopback"],
                tuple(s["ports"]),
                pod=s.get("pod"),
                plane=s.get("plane"),
            )
        )
        skeleton.links.extend(
            Link(ident, a, b, LinkRole(role), speed) for ident, a, b, role, speed in s["links"]
        )
    skeleton.racks = [
        # members are not needed
        Rack(
            k["id"],
            k["rack_type"],
            (),
            (),
            k["redundancy"],
            server_attachment=k.get("server_attachment") or "routed",
        )
        for k in row["racks"]
    ]
    skeleton.pools = [
        Pool(p["id"], p["kind"], tuple(p["ranges"]), p.get("prefix_len"), p["policy"])
        for p in row["pools"]
    ]
    skeleton.allocations = [
        Allocation(pool, value, owner) for pool, value, owner in row["resources"]
    ]
    skeleton.routing_zones = [RoutingZone(z["id"], z["vrf"], z.get("vni")) for z in row["zones"]]
    skeleton.virtual_networks = [
        VirtualNetwork(name, 0, "", "default", tuple(racks))
        for name, racks in row["networks"]
        if name
    ]
    last = {str(p["id"]): str(p["last"]) for p in row["pools"] if p.get("last") is not None}
    return skeleton, PoolState(last=last)


def _write(ctx: EditContext, parts: DesignParts, overlay: Overlay) -> Applied:
    new_systems = {x.id for x in parts.systems}
    fragment = parts.as_design(ctx.blueprint, overlay)
    fragment.interfaces = [x for x in parts.interfaces if x.system in new_systems]
    # ports of existing switches (the spines' unused ports a new rack cables)
    cabled = [x for x in parts.interfaces if x.system not in new_systems]
    write_parts(ctx.graph, ctx.tx, ctx.blueprint, fragment, cabled)
    cabled_ids = {x.id for x in cabled}
    labelled = [
        (label, ident)
        for label, ident in parts.labelled_ids()
        if not (label == "Interface" and ident in cabled_ids)
    ]
    nodes: list[NodeRef] = [
        {"label": label, "prop": "uid", "value": f"{ctx.blueprint}/{ident}"}
        for label, ident in labelled
    ]
    nodes += [
        {"label": "Resource", "prop": "key", "value": f"{ctx.blueprint}/{a.pool}/{a.value}"}
        for a in parts.allocations
    ]
    diff = [added(label, ident) for label, ident in labelled]
    diff += [_resource(a) for a in parts.allocations]
    diff += [modified("Interface", x.id, "ipv4", None, x.ipv4) for x in cabled]
    inverse = [DeleteNodes(nodes).as_edit()]
    if cabled:
        ports: list[dict[str, Any]] = [{"id": x.id, "ipv4": None} for x in cabled]
        inverse.append(SetPortAddresses(ports).as_edit())
    return Applied(diff=diff, inverse=inverse)


def _resource(allocation: Allocation) -> DiffEntry:
    entry = added("Resource", f"{allocation.pool}/{allocation.value}")
    entry["owner"] = allocation.owner
    return entry


@dataclass(frozen=True)
class AddRack(Params):
    KIND = "add_rack"
    rack_type: str
    pod: str | None = None  # 5-stage: the pod the rack joins

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> AddRack:
        pod = text(params, "pod") if params.get("pod") is not None else None
        return cls(text(params, "rack_type"), pod)

    def as_edit(self) -> Edit:
        params: dict[str, Any] = {"rack_type": self.rack_type}
        if self.pod is not None:
            params["pod"] = self.pod
        return {"kind": self.KIND, "params": params}


def add_rack(ctx: EditContext, edit: AddRack) -> Applied:
    catalogue = ctx.design_catalogue("rack_types", edit.rack_type)
    skeleton, state = _skeleton(ctx, RACK_POOLS, Wanted(spines=True, pod=edit.pod))
    parts = design_engine.add_rack(skeleton, catalogue, edit.rack_type, state, edit.pod)
    return _write(ctx, parts, skeleton.overlay)


@dataclass(frozen=True)
class AddPod(Params):
    """5-stage: one more pod built from a rack-based template (the superspines get new
    ports cabled; nothing else existing changes)."""

    KIND = "add_pod"
    template: str

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> AddPod:
        return cls(text(params, "template"))


def add_pod(ctx: EditContext, edit: AddPod) -> Applied:
    catalogue = ctx.design_catalogue("templates", edit.template)
    skeleton, state = _skeleton(ctx, RACK_POOLS, Wanted(superspines=True))
    if skeleton.stages == 5:  # the shared spine ASN of scheme single
        skeleton.systems += _one_spine(ctx)
    parts = design_engine.add_pod(skeleton, catalogue, edit.template, state)
    return _write(ctx, parts, skeleton.overlay)


ONE_SPINE = Query(
    "additions.one_spine",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_SYSTEM]->(s:System {role: 'spine'})
    RETURN s.id AS id, s.asn AS asn LIMIT 1
    """,
)


def _one_spine(ctx: EditContext) -> list[System]:
    rows = ctx.graph.run(ctx.tx, ONE_SPINE, bp=ctx.blueprint)
    return [System(r["id"], r["id"], Role.SPINE, None, "", None, r["asn"]) for r in rows]


@dataclass(frozen=True)
class AddVirtualNetwork(Params):
    KIND = "add_virtual_network"
    spec: VirtualNetworkSpec

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> AddVirtualNetwork:
        return cls(design_engine.network_spec(params))

    def as_edit(self) -> Edit:
        return {"kind": self.KIND, "params": self.spec.model_dump(mode="json")}


def add_virtual_network(ctx: EditContext, edit: AddVirtualNetwork) -> Applied:
    skeleton, state = _skeleton(ctx, NETWORK_POOLS, Wanted())
    parts = design_engine.add_virtual_network(skeleton, edit.spec, state)
    return _write(ctx, parts, skeleton.overlay)


ADDITION_KINDS: tuple[EditKind[Any], ...] = (
    EditKind("add_rack", AddRack.parse, add_rack, uses=lambda e: [("rack_types", e.rack_type)]),
    EditKind("add_pod", AddPod.parse, add_pod, uses=lambda e: [("templates", e.template)]),
    EditKind("add_virtual_network", AddVirtualNetwork.parse, add_virtual_network),
)
