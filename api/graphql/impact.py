"""Impact analysis over GraphQL: ``impact(blueprint, kind, id)`` and ``whatIf(...)``.

Each request runs one Cypher statement (``blueprint_engine.impact.query``); the rules that
classify what it read are pure, so the resolvers only convert the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, TypeVar

import strawberry

from api.graphql.common import call
from api.graphql.context import Info
from api.graphql.virtual import ImpactedVm
from blueprint_engine.impact import model
from blueprint_engine.impact import query as engine

T = TypeVar("T")


@strawberry.enum(description="the kind of element whose failure is analysed")
class ImpactKind(Enum):
    TRANSCEIVER = "transceiver"
    INTERFACE = "interface"
    LINK = "link"
    SYSTEM = "system"
    VIRTUAL_NETWORK = "virtual_network"
    PLANE = "plane"
    POD = "pod"


@strawberry.enum(description="what is done to the switch in a what-if")
class WhatIfMode(Enum):
    DRAIN = "drain"
    UNDEPLOY = "undeploy"


@strawberry.type
class ImpactedInterface:
    id: str
    system: str
    effect: str = strawberry.field(description="down | drained | unconfigured")


@strawberry.type
class ImpactedLink:
    id: str
    role: str
    a: str
    b: str
    effect: str = strawberry.field(description="down | drained | unconfigured")


@strawberry.type
class ImpactedSession:
    id: str
    afi: str
    a: str
    b: str
    link: str | None
    effect: str = strawberry.field(description="down | withdrawn")


@strawberry.type
class ImpactedSystem:
    id: str
    role: str
    effect: str = strawberry.field(
        description="down | drained | undeployed | isolated | fewer_uplinks"
    )
    uplinks_before: int | None = strawberry.field(
        description="leafs: working uplinks to in-service spines"
    )
    uplinks_after: int | None


@strawberry.type
class ImpactedServer:
    id: str
    rack: str | None
    leafs_before: list[str] = strawberry.field(
        description="connected leafs the server reaches over working links"
    )
    leafs_after: list[str]
    spines_before: int = strawberry.field(
        description="distinct spines those leafs reach over working uplinks"
    )
    spines_after: int
    superspines_before: int = strawberry.field(
        description="5-stage: distinct superspines those spines reach (0 on a 3-stage)"
    )
    superspines_after: int


@strawberry.type
class ImpactedVirtualNetwork:
    id: str
    vlan: int | None
    vni: int | None
    racks: list[str] = strawberry.field(description="bound racks where it loses something")
    leafs: list[str] = strawberry.field(description="serving leafs it loses")
    unavailable_in_racks: list[str]
    servers_losing_redundancy: list[str]
    servers_losing_connectivity: list[str]


@strawberry.type(description="what depends on an element: see blueprint_engine.impact.query")
class Impact:
    blueprint: str
    kind: str
    id: str
    scenario: str = strawberry.field(description="fail | drain | undeploy")
    interfaces: list[ImpactedInterface]
    links: list[ImpactedLink]
    bgp_sessions: list[ImpactedSession]
    systems: list[ImpactedSystem]
    servers_losing_redundancy: list[ImpactedServer]
    servers_losing_connectivity: list[ImpactedServer]
    virtual_networks: list[ImpactedVirtualNetwork]
    vms_losing_connectivity: list[ImpactedVm] = strawberry.field(
        description="VMs on the servers losing all connectivity (a VN: only its VMs)"
    )
    vms_losing_redundancy: list[ImpactedVm]

    @staticmethod
    def of(result: model.Impact) -> Impact:
        return Impact(
            blueprint=result.blueprint,
            kind=result.kind.value,
            id=result.id,
            scenario=result.scenario.value,
            interfaces=_rows(ImpactedInterface, result.interfaces),
            links=_rows(ImpactedLink, result.links),
            bgp_sessions=_rows(ImpactedSession, result.bgp_sessions),
            systems=_rows(ImpactedSystem, result.systems),
            servers_losing_redundancy=_rows(ImpactedServer, result.servers_losing_redundancy),
            servers_losing_connectivity=_rows(ImpactedServer, result.servers_losing_connectivity),
            virtual_networks=_rows(ImpactedVirtualNetwork, result.virtual_networks),
            vms_losing_connectivity=ImpactedVm.rows(result.vms_losing_connectivity),
            vms_losing_redundancy=ImpactedVm.rows(result.vms_losing_redundancy),
        )


def _rows(cls: Callable[..., T], items: Iterable[Any]) -> list[T]:
    """GraphQL objects from the engine's dataclasses (the field names are the same)."""
    return [
        cls(**{name: list(v) if isinstance(v, tuple) else v for name, v in vars(item).items()})
        for item in items
    ]


@strawberry.type
class ImpactQuery:
    @strawberry.field(
        description="links, BGP sessions, servers (losing redundancy / all connectivity) "
        "and virtual networks that depend on an element, if it failed"
    )
    async def impact(self, info: Info, blueprint: str, kind: ImpactKind, id: str) -> Impact:
        result = await call(engine.impact, info.context.graph, blueprint, kind.value, id)
        return Impact.of(result)

    @strawberry.field(description="what draining or undeploying a switch would take out")
    async def what_if(self, info: Info, blueprint: str, system: str, mode: WhatIfMode) -> Impact:
        result = await call(engine.what_if, info.context.graph, blueprint, system, mode.value)
        return Impact.of(result)
