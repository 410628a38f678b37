"""A bag of new design objects (one rack, one virtual network, a whole fabric)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from blueprint_engine.design.model import (
    Allocation,
    BgpSession,
    BlueprintDesign,
    Interface,
    Link,
    Overlay,
    Pod,
    Rack,
    RoutingZone,
    System,
    Transceiver,
    VirtualNetwork,
)


@dataclass
class DesignParts:
    """New intent to add to a blueprint; ``allocations`` are the resources it holds."""

    pods: list[Pod] = field(default_factory=list)
    racks: list[Rack] = field(default_factory=list)
    systems: list[System] = field(default_factory=list)
    interfaces: list[Interface] = field(default_factory=list)
    transceivers: list[Transceiver] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    sessions: list[BgpSession] = field(default_factory=list)
    routing_zones: list[RoutingZone] = field(default_factory=list)
    virtual_networks: list[VirtualNetwork] = field(default_factory=list)
    allocations: list[Allocation] = field(default_factory=list)

    def as_design(self, name: str, overlay: Overlay) -> BlueprintDesign:
        """A design fragment of blueprint ``name`` holding exactly these parts."""
        return BlueprintDesign(
            name,
            "",
            overlay,
            pods=list(self.pods),
            racks=list(self.racks),
            systems=list(self.systems),
            interfaces=list(self.interfaces),
            transceivers=list(self.transceivers),
            links=list(self.links),
            sessions=list(self.sessions),
            routing_zones=list(self.routing_zones),
            virtual_networks=list(self.virtual_networks),
            allocations=list(self.allocations),
        )

    def labelled_ids(self) -> list[tuple[str, str]]:
        """(node label, id) of every new intent node, in write order (resources aside)."""
        return [
            *(("Pod", x.id) for x in self.pods),
            *(("Rack", x.id) for x in self.racks),
            *(("System", x.id) for x in self.systems),
            *(("Interface", x.id) for x in self.interfaces),
            *(("Transceiver", x.id) for x in self.transceivers),
            *(("Link", x.id) for x in self.links),
            *(("BgpSession", x.id) for x in self.sessions),
            *(("RoutingZone", x.id) for x in self.routing_zones),
            *(("VirtualNetwork", x.id) for x in self.virtual_networks),
        ]

    def extend(self, other: DesignParts) -> None:
        for item in fields(self):
            getattr(self, item.name).extend(getattr(other, item.name))


def apply_parts(design: BlueprintDesign, parts: DesignParts) -> BlueprintDesign:
    """A new design holding ``design``'s objects followed by ``parts``."""
    merged = replace(design)
    for item in fields(parts):
        setattr(merged, item.name, [*getattr(design, item.name), *getattr(parts, item.name)])
    # a port of an existing switch that the parts cable replaces its unused interface
    cabled = {interface.id: interface for interface in parts.interfaces}
    kept = [i for i in design.interfaces if i.id not in cabled]
    merged.interfaces = kept + [i for i in parts.interfaces]
    return merged
