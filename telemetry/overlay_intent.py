"""What the overlay should be, read from the blueprint in one query (``leafs``).

Only a blueprint whose overlay is EVPN has one: on any other the query stops at the
blueprint node (an index seek), so underlay-only blueprints pay nothing more. Per leaf
with virtual networks bound to its rack: its VTEP (loopback address), the deploy mode of
its device and the VNIs it serves (``telemetry.overlay_model.VniIntent``). The remote
VTEPs of an L2 VNI are those of the other leafs serving it whose devices are deployed
(a leaf not deployed has no VTEP to expect).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from blueprint_engine.devices.lifecycle import DEPLOYED_MODES, DeployMode
from blueprint_engine.graph.db import Graph, Query
from telemetry.overlay_model import VniIntent

OVERLAY_LEAFS = Query(
    "telemetry.overlay.leafs",
    """
    MATCH (b:Blueprint {name: $bp}) WHERE b.overlay = 'evpn'
    MATCH (b)-[:HAS_SYSTEM]->(s:System {role: 'leaf'})-[:IN_RACK]->(:Rack)
          <-[:BOUND_TO]-(v:VirtualNetwork)
    WHERE v.vni IS NOT NULL
    OPTIONAL MATCH (v)-[:IN_ZONE]->(z:RoutingZone)
    WITH s, collect({network: v.id, vni: v.vni, zone: z.id, l3vni: z.vni}) AS networks
    RETURN s.id AS system, s.hostname AS hostname, s.loopback AS loopback,
           head([(s)<-[:ASSIGNED_TO]-(d:Device) | d.deploy_mode]) AS mode, networks
    ORDER BY system
    """,
)


@dataclass(frozen=True)
class LeafOverlay:
    """A leaf of the overlay: its VTEP, whether its device is deployed, its VNIs."""

    system: str
    hostname: str
    vtep: str | None  # its loopback address without the prefix length
    deployed: bool
    vnis: tuple[VniIntent, ...]
    draining: bool = False


def _vtep(loopback: str | None) -> str | None:
    return loopback.split("/")[0] if loopback else None


def derive(rows: Sequence[Mapping[str, Any]]) -> dict[str, LeafOverlay]:
    """Pure: the leafs of the overlay and their VNIs from ``OVERLAY_LEAFS``'s rows."""
    deployed = {r["system"]: r["mode"] in DEPLOYED_MODES for r in rows}
    vteps = {r["system"]: _vtep(r["loopback"]) for r in rows}
    serving: dict[int, set[str]] = {}
    for r in rows:
        for n in r["networks"]:
            serving.setdefault(int(n["vni"]), set()).add(r["system"])
    out: dict[str, LeafOverlay] = {}
    for r in rows:
        me = r["system"]
        vnis: dict[int, VniIntent] = {}
        for n in r["networks"]:
            vni = int(n["vni"])
            peers = tuple(sorted(p for p in serving[vni] if p != me and deployed[p] and vteps[p]))
            remote = tuple(sorted(str(vteps[p]) for p in peers))
            vnis[vni] = VniIntent(vni, "l2", str(n["network"]), peers, remote)
            if n.get("l3vni") is not None and n.get("zone") is not None:
                l3 = int(n["l3vni"])
                vnis.setdefault(l3, VniIntent(l3, "l3", str(n["zone"])))
        out[me] = LeafOverlay(
            me,
            str(r["hostname"]),
            vteps[me],
            deployed[me],
            tuple(vnis[v] for v in sorted(vnis)),
            r["mode"] == DeployMode.DRAIN,
        )
    return out


def leafs(graph: Graph, bp: str) -> dict[str, LeafOverlay]:
    """The overlay of ``bp`` by leaf (empty without an EVPN overlay)."""
    return derive(graph.read(OVERLAY_LEAFS, bp=bp))
