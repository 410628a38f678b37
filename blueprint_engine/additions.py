"""Staged additions (a rack, a virtual network) built by the pure design engine.

The handler reads the blueprint's skeleton (spines and their used ports, racks,
pools, resources in use) in the caller's transaction, asks ``design`` for the new
parts, writes them, and returns the diff and the inverse (delete what was added).
"""

from __future__ import annotations

from typing import Any

from blueprint_engine import design as design_engine
from blueprint_engine.allocation import PoolId, PoolState
from blueprint_engine.catalogue import Catalogue
from blueprint_engine.catalogue_store import CatalogueCache
from blueprint_engine.db import Query
from blueprint_engine.design_parts import DesignParts
from blueprint_engine.edits import Applied, EditContext, Handler
from blueprint_engine.errors import ValidationError
from blueprint_engine.model import (
    Allocation,
    BlueprintDesign,
    Link,
    LinkRole,
    Overlay,
    Pool,
    Rack,
    Role,
    RoutingZone,
    System,
    VirtualNetwork,
)
from blueprint_engine.store import write_parts

SKELETON = Query(
    "additions.skeleton",
    """
    MATCH (b:Blueprint {name: $bp})
    CALL (b) {
      MATCH (b)-[:HAS_SYSTEM]->(s:System {role: 'spine'}) WHERE $with_spines
      OPTIONAL MATCH (s)-[:HAS_INTERFACE]->(:Interface)<-[:ENDPOINT]-(l:Link)
      OPTIONAL MATCH (l)-[:ENDPOINT {side: 'a'}]->(a:Interface)
      OPTIONAL MATCH (l)-[:ENDPOINT {side: 'b'}]->(z:Interface)
      WITH s, collect(CASE WHEN l IS NULL THEN NULL
                      ELSE [l.id, a.id, z.id, l.role, l.speed_mbps] END) AS links
      RETURN collect(s {.*, links: links}) AS spines
    }
    CALL (b) {
      MATCH (b)-[:HAS_RACK]->(k:Rack)
      RETURN collect(k {.id, .rack_type, .redundancy}) AS racks
    }
    CALL (b) {
      MATCH (b)-[:HAS_POOL]->(p:Pool)
      RETURN collect(p {.*}) AS pools
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
      RETURN collect(v.id) AS networks
    }
    RETURN b.overlay AS overlay, spines, racks, pools, resources, zones, networks
    """,
)


# the pools whose values an addition may draw from (only their values in use are read)
RACK_POOLS = [str(p) for p in PoolId if p not in (PoolId.VIRTUAL_NETWORK, PoolId.VLAN)]
NETWORK_POOLS = [str(PoolId.VIRTUAL_NETWORK), str(PoolId.VLAN), str(PoolId.VNI)]


def _skeleton(
    ctx: EditContext, pools: list[str], with_spines: bool
) -> tuple[BlueprintDesign, PoolState]:
    """What an addition needs of the blueprint: work proportional to what is added.

    The pool state carries the last value each pool handed out (policy
    ``sequential_from_last`` continues after it); values in use are the skeleton's.
    """
    rows = ctx.graph.run(ctx.tx, SKELETON, bp=ctx.blueprint, pools=pools, with_spines=with_spines)
    if not rows:
        raise ValidationError(f"no blueprint named {ctx.blueprint!r}")
    row = rows[0]
    skeleton = BlueprintDesign(ctx.blueprint, "", Overlay(row["overlay"]))
    for s in row["spines"]:
        skeleton.systems.append(
            System(s["id"], s["hostname"], Role.SPINE, None, s["logical_device"],
                   s["device_profile"], s["asn"], s["loopback"], tuple(s["ports"]))
        )  # fmt: skip
        skeleton.links.extend(
            Link(ident, a, b, LinkRole(role), speed) for ident, a, b, role, speed in s["links"]
        )
    skeleton.racks = [
        Rack(k["id"], k["rack_type"], (), (), k["redundancy"])  # members are not needed
        for k in row["racks"]
    ]  # fmt: skip
    skeleton.pools = [
        Pool(p["id"], p["kind"], tuple(p["ranges"]), p.get("prefix_len"), p["policy"])
        for p in row["pools"]
    ]
    skeleton.allocations = [
        Allocation(pool, value, owner) for pool, value, owner in row["resources"]
    ]
    skeleton.routing_zones = [RoutingZone(z["id"], z["vrf"], z.get("vni")) for z in row["zones"]]
    skeleton.virtual_networks = [
        VirtualNetwork(name, 0, "", "default", ()) for name in row["networks"]
    ]
    last = {str(p["id"]): str(p["last"]) for p in row["pools"] if p.get("last") is not None}
    return skeleton, PoolState(last=last)


def _write(ctx: EditContext, parts: DesignParts, overlay: Overlay) -> Applied:
    fragment = BlueprintDesign(ctx.blueprint, "", overlay)
    for name in ("racks", "systems", "interfaces", "transceivers", "links", "sessions",
                 "routing_zones", "virtual_networks", "allocations"):  # fmt: skip
        setattr(fragment, name, list(getattr(parts, name)))
    new_systems = {x.id for x in parts.systems}
    fragment.interfaces = [x for x in parts.interfaces if x.system in new_systems]
    # ports of existing switches (the spines' unused ports a new rack cables)
    cabled = [x for x in parts.interfaces if x.system not in new_systems]
    write_parts(ctx.graph, ctx.tx, ctx.blueprint, fragment, cabled)
    added: list[tuple[str, str]] = [
        *(("Rack", x.id) for x in parts.racks),
        *(("System", x.id) for x in parts.systems),
        *(("Interface", x.id) for x in fragment.interfaces),
        *(("Transceiver", x.id) for x in parts.transceivers),
        *(("Link", x.id) for x in parts.links),
        *(("BgpSession", x.id) for x in parts.sessions),
        *(("RoutingZone", x.id) for x in parts.routing_zones),
        *(("VirtualNetwork", x.id) for x in parts.virtual_networks),
    ]
    nodes = [{"label": label, "prop": "uid", "value": f"{ctx.blueprint}/{i}"} for label, i in added]
    nodes += [
        {"label": "Resource", "prop": "key", "value": f"{ctx.blueprint}/{a.pool}/{a.value}"}
        for a in parts.allocations
    ]
    diff: list[dict[str, Any]] = [{"change": "added", "kind": label, "id": i} for label, i in added]
    diff += [{"change": "added", "kind": "Resource", "id": f"{a.pool}/{a.value}",
              "owner": a.owner} for a in parts.allocations]  # fmt: skip
    diff += [{"change": "modified", "kind": "Interface", "id": x.id, "field": "ipv4",
              "before": None, "after": x.ipv4} for x in cabled]  # fmt: skip
    inverse: list[dict[str, Any]] = [{"kind": "delete_nodes", "params": {"nodes": nodes}}]
    if cabled:
        ports = [{"id": x.id, "ipv4": None} for x in cabled]
        inverse.append({"kind": "set_port_addresses", "params": {"ports": ports}})
    return Applied(diff=diff, inverse=inverse)


def _catalogue(ctx: EditContext, rack_type: str) -> Catalogue:
    """The catalogue (a fixed one, or fixtures + created entries) holding ``rack_type``."""
    catalogue = ctx.extensions.get("catalogue")
    if isinstance(catalogue, CatalogueCache):
        return catalogue.having("rack_types", rack_type)
    if not isinstance(catalogue, Catalogue):
        raise ValidationError("this staging engine was built without a design catalogue")
    return catalogue


def add_rack(ctx: EditContext, params: dict[str, Any]) -> Applied:
    rack_type = params.get("rack_type")
    if not isinstance(rack_type, str) or not rack_type:
        known = sorted(_catalogue(ctx, "").rack_types)
        raise ValidationError("missing parameter rack_type", allowed=known)
    catalogue = _catalogue(ctx, rack_type)
    skeleton, state = _skeleton(ctx, RACK_POOLS, with_spines=True)
    parts = design_engine.add_rack(skeleton, catalogue, rack_type, state)
    return _write(ctx, parts, skeleton.overlay)


def add_virtual_network(ctx: EditContext, params: dict[str, Any]) -> Applied:
    skeleton, state = _skeleton(ctx, NETWORK_POOLS, with_spines=False)
    parts = design_engine.add_virtual_network(skeleton, dict(params), state)
    return _write(ctx, parts, skeleton.overlay)


HANDLERS: dict[str, Handler] = {"add_rack": add_rack, "add_virtual_network": add_virtual_network}
