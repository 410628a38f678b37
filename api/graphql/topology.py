"""The topology page's reads: the fabric with its states, and one element's details."""

from __future__ import annotations

from typing import Any

import strawberry

from api import topology
from api.graphql.common import call
from api.graphql.context import Info


def _pick(cls: Any, row: dict[str, Any]) -> Any:
    return cls(**{n: row.get(n) for n in cls.__annotations__})


@strawberry.type
class TopoSystem:
    id: str
    role: str
    hostname: str | None
    rack: str | None
    deploy_mode: str | None
    serial: str | None
    device_state: str | None
    liveness: str | None
    vms: list[str] = strawberry.field(
        default_factory=list, description="VMs on the hypervisor of a server (by id)"
    )


@strawberry.type
class TopoLink:
    id: str
    role: str
    a: str
    b: str
    a_interface: str
    b_interface: str
    state: str = strawberry.field(description="up | down | degraded | unknown")


@strawberry.type
class TopoAnomaly:
    uid: str
    type: str
    subject: str | None
    device: str | None
    summary: str | None
    expected: bool
    suppressed: bool
    on: str | None = strawberry.field(description="label of the element it is on")
    link: str | None = strawberry.field(description="the link it touches, if any")
    root_cause: str | None
    state: str | None = None


@strawberry.type
class TopoRootCause:
    uid: str
    kind: str
    subject: str | None
    summary: str | None
    at: str | None
    at_kind: str | None
    link: str | None
    system: str | None
    symptoms: int


@strawberry.type
class Dependent:
    kind: str
    id: str


@strawberry.type
class ConfigStage:
    system: str
    stage: str
    text: str | None


@strawberry.type
class FabricTopology:
    blueprint: str
    systems: list[TopoSystem]
    links: list[TopoLink]
    anomalies: list[TopoAnomaly]
    root_causes: list[TopoRootCause]
    impacted: list[str] = strawberry.field(
        description="servers that depend on an open root cause's element"
    )
    impacted_vms: list[str] = strawberry.field(
        default_factory=list,
        description="VMs on servers an open root cause costs connectivity or redundancy",
    )


@strawberry.type
class TopoElement:
    id: str
    kind: str
    configs: list[ConfigStage]
    anomalies: list[TopoAnomaly]
    impact: list[Dependent]


@strawberry.type
class TopologyQuery:
    @strawberry.field(description="the fabric as the topology page draws it")
    async def topology(self, info: Info, blueprint: str) -> FabricTopology:
        t = await call(topology.read_topology, info.context.graph, blueprint)
        return FabricTopology(
            blueprint=t.blueprint,
            systems=[_pick(TopoSystem, r) for r in t.systems],
            links=[_pick(TopoLink, r) for r in t.links],
            anomalies=[_pick(TopoAnomaly, r) for r in t.anomalies],
            root_causes=[_pick(TopoRootCause, r) for r in t.root_causes],
            impacted=t.impacted,
            impacted_vms=t.impacted_vms,
        )

    @strawberry.field(description="config stages, anomalies and impact of a system or link")
    async def topology_element(self, info: Info, blueprint: str, id: str) -> TopoElement:
        e = await call(topology.read_element, info.context.graph, blueprint, id)
        return TopoElement(
            id=e.id,
            kind=e.kind,
            configs=[_pick(ConfigStage, r) for r in e.configs],
            anomalies=[_pick(TopoAnomaly, r) for r in e.anomalies],
            impact=[_pick(Dependent, r) for r in e.dependents],
        )
