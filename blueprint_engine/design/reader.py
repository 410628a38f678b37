"""Read a blueprint's systems, interfaces and links back from the graph as a design
(what ``lab_topology`` and other pure consumers take)."""

from __future__ import annotations

from typing import Any

from blueprint_engine.design.lab_topology import lab_topology
from blueprint_engine.design.model import (
    BlueprintDesign,
    Interface,
    Link,
    LinkRole,
    Overlay,
    Role,
    System,
)
from blueprint_engine.errors import NotFoundError
from blueprint_engine.graph.db import Graph, Query

CABLING = Query(
    "design_reader.cabling",
    """
    MATCH (b:Blueprint {name: $bp})
    CALL (b) {
      MATCH (b)-[:HAS_SYSTEM]->(s:System)
      OPTIONAL MATCH (s)-[:IN_RACK]->(k:Rack)
      RETURN collect(s {.id, .hostname, .role, .logical_device, .device_profile, .asn,
                        .loopback, .ports, .pod, .plane, rack: k.id}) AS systems
    }
    CALL (b) {
      MATCH (b)-[:HAS_SYSTEM]->(:System)-[:HAS_INTERFACE]->(i:Interface)
      RETURN collect(i {.id, .system, .name, .speed_mbps, .ipv4}) AS interfaces
    }
    CALL (b) {
      MATCH (l:Link {blueprint: $bp})-[:ENDPOINT {side: 'a'}]->(a:Interface)
      MATCH (l)-[:ENDPOINT {side: 'b'}]->(z:Interface)
      RETURN collect(l {.id, .role, .speed_mbps, .subnet, layer: coalesce(l.layer, 3), a: a.id,
                        b: z.id}) AS links
    }
    RETURN b.overlay AS overlay, b.template AS template, systems, interfaces, links
    """,
)


def read_cabling(graph: Graph, bp: str) -> BlueprintDesign:
    rows = graph.read(CABLING, bp=bp)
    if not rows:
        raise NotFoundError(f"no blueprint named {bp!r}")
    row = rows[0]
    design = BlueprintDesign(bp, row["template"], Overlay(row["overlay"]))
    design.systems = [
        System(
            s["id"],
            s["hostname"],
            Role(s["role"]),
            s.get("rack"),
            s["logical_device"],
            s.get("device_profile"),
            s.get("asn"),
            s.get("loopback"),
            tuple(s.get("ports") or ()),
            pod=s.get("pod"),
            plane=s.get("plane"),
        )
        for s in sorted(row["systems"], key=lambda s: s["id"])
    ]
    design.interfaces = [
        Interface(i["id"], i["system"], i["name"], i["speed_mbps"], i.get("ipv4"))
        for i in sorted(row["interfaces"], key=lambda i: i["id"])
    ]
    design.links = [
        Link(
            link["id"],
            link["a"],
            link["b"],
            LinkRole(link["role"]),
            link["speed_mbps"],
            link.get("subnet"),
            link["layer"],
        )
        for link in sorted(row["links"], key=lambda link: link["id"])
    ]
    return design


def blueprint_lab_topology(graph: Graph, bp: str) -> dict[str, Any]:
    """The virtual lab's topology for blueprint ``bp``, from the active graph."""
    return lab_topology(read_cabling(graph, bp))
