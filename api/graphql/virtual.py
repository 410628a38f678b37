"""GraphQL: the virtual layer. VMs by network, hypervisor or routing zone; the push
API (a source's full snapshot, or incremental events); VMs in impact answers."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.auth import Role
from api.graphql.common import call, require
from api.graphql.context import Info
from api.virtual_sync import sync_inventory
from blueprint_engine.impact.model import ImpactedVm as ImpactedVmRow
from blueprint_engine.virtual import reads


@strawberry.type
class Vnic:
    id: str
    mac: str
    ips: list[str]
    vlan: int | None = strawberry.field(description="null: untagged")
    port_group: str | None
    network: str | None = strawberry.field(description="the virtual network carrying its VLAN")
    routing_zone: str | None


@strawberry.type
class VirtualMachine:
    id: str = strawberry.field(description="<source>/<the source's VM id>")
    name: str
    source: str
    state: str = strawberry.field(description="running | stopped | paused | unknown")
    hypervisor: str
    server: str = strawberry.field(description="the blueprint server its hypervisor runs on")
    rack: str | None
    vnics: list[Vnic]

    @staticmethod
    def of(row: dict[str, Any]) -> VirtualMachine:
        nics = [Vnic(**{**n, "ips": list(n.get("ips") or [])}) for n in row["vnics"]]
        return VirtualMachine(
            id=row["id"],
            name=row["name"],
            source=row["source"],
            state=row["state"],
            hypervisor=row["hypervisor"],
            server=row["server"],
            rack=row.get("rack"),
            vnics=sorted(nics, key=lambda n: n.id),
        )


@strawberry.type
class ImpactedVm:
    id: str
    name: str
    hypervisor: str
    server: str
    rack: str | None
    networks: list[str]
    effect: str = strawberry.field(description="connectivity_lost | redundancy_lost")

    @staticmethod
    def rows(items: tuple[ImpactedVmRow, ...]) -> list[ImpactedVm]:
        return [
            ImpactedVm(
                id=v.id,
                name=v.name,
                hypervisor=v.hypervisor,
                server=v.server,
                rack=v.rack,
                networks=list(v.networks),
                effect=v.effect,
            )
            for v in items
        ]


@strawberry.type(description="what one sync of a source wrote and what the checks found")
class VirtualSync:
    blueprint: str
    source: str
    hypervisors: int
    vms: int
    vnics: int
    created: int
    updated: int
    deleted: int
    relinked: int = strawberry.field(description="vNICs re-linked to their virtual network")
    vnics_checked: int
    anomalies_raised: list[str]
    anomalies_cleared: list[str]
    anomalies_open: int


@strawberry.type
class VirtualQuery:
    @strawberry.field(
        description="VMs of a blueprint, by virtual network, hypervisor or routing zone "
        "(at most one filter), ordered by id"
    )
    async def vms(
        self,
        info: Info,
        blueprint: str,
        network: str | None = None,
        hypervisor: str | None = None,
        routing_zone: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[VirtualMachine]:
        rows = await call(
            lambda: reads.list_vms(
                info.context.graph,
                blueprint,
                network=network,
                hypervisor=hypervisor,
                routing_zone=routing_zone,
                limit=limit,
                offset=offset,
            )
        )
        return [VirtualMachine.of(r) for r in rows]


async def _sync(info: Info, blueprint: str, source: str, **body: object) -> VirtualSync:
    """One sync of ``source`` (``snapshot=`` or ``events=``), for operators."""
    require(info, Role.OPERATOR, "sync a virtual inventory")
    ctx = info.context
    row = await call(lambda: sync_inventory(ctx.graph, ctx.settings, blueprint, source, **body))
    return VirtualSync(**row)


@strawberry.type
class VirtualMutation:
    @strawberry.mutation(
        description="replace a source's virtual inventory of a blueprint with a full "
        "snapshot {hypervisors, vms} (creates, updates, deletes what it no longer reports)"
    )
    async def sync_virtual_inventory(
        self, info: Info, blueprint: str, source: str, snapshot: JSON
    ) -> VirtualSync:
        return await _sync(info, blueprint, source, snapshot=snapshot)

    @strawberry.mutation(
        description="apply incremental events of a source (vm_upsert, vm_delete, "
        "hypervisor_upsert, hypervisor_delete), all or nothing"
    )
    async def virtual_inventory_events(
        self, info: Info, blueprint: str, source: str, events: JSON
    ) -> VirtualSync:
        return await _sync(info, blueprint, source, events=events)
