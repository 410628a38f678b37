"""GraphQL object types of the blueprint graph. Children load in batches per level."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.loaders import StagedRef, loader


def pick(cls: Any, row: dict[str, Any]) -> Any:
    """An instance of ``cls`` from the row keys it declares."""
    names = cls.__annotations__.keys()
    return cls(**{n: row.get(n) for n in names if not n.startswith("_")})


@strawberry.type
class Link:
    uid: strawberry.Private[str]
    id: str
    role: str
    speed_mbps: int
    subnet: str | None
    a: str = strawberry.field(description="interface id of the A end (spine side)")
    b: str = strawberry.field(description="interface id of the B end")

    @staticmethod
    def of(row: dict[str, Any]) -> Link:
        return Link(
            uid=row["uid"],
            id=row["id"],
            role=row["role"],
            speed_mbps=row["speed_mbps"],
            subnet=row.get("subnet"),
            a=row["a"],
            b=row["b"],
        )


@strawberry.type
class Interface:
    uid: strawberry.Private[str]
    link_uid: strawberry.Private[str | None]
    staged: strawberry.Private[StagedRef] = None  # read from a staged view
    id: str
    name: str
    speed_mbps: int
    ipv4: str | None
    transceiver: str | None

    @strawberry.field(description="the link cabled to this interface, if any")
    async def link(self, info: Info) -> Link | None:
        if self.link_uid is None:
            return None
        row = await loader(info.context, "link", self.staged).load(self.link_uid)
        return Link.of(row) if row else None

    @staticmethod
    def of(row: dict[str, Any], staged: StagedRef = None) -> Interface:
        return Interface(
            uid=row["uid"],
            staged=staged,
            link_uid=row.get("link"),
            id=row["id"],
            name=row["name"],
            speed_mbps=row["speed_mbps"],
            ipv4=row.get("ipv4"),
            transceiver=row.get("transceiver"),
        )


@strawberry.type
class System:
    uid: strawberry.Private[str]
    staged: strawberry.Private[StagedRef] = None  # read from a staged view
    id: str
    hostname: str
    role: str
    rack: str | None
    asn: int | None
    loopback: str | None
    device_profile: str | None
    logical_device: str
    deploy_mode: str | None

    @strawberry.field
    async def interfaces(self, info: Info) -> list[Interface]:
        rows = await loader(info.context, "interfaces", self.staged).load(self.uid)
        return [Interface.of(r, self.staged) for r in rows]

    @staticmethod
    def of(row: dict[str, Any], staged: StagedRef = None) -> System:
        return System(
            uid=row["uid"],
            staged=staged,
            id=row["id"],
            hostname=row["hostname"],
            role=row["role"],
            rack=row.get("rack"),
            asn=row.get("asn"),
            loopback=row.get("loopback"),
            device_profile=row.get("device_profile"),
            logical_device=row["logical_device"],
            deploy_mode=row.get("deploy_mode"),
        )


@strawberry.type
class BgpSession:
    id: str
    afi: str
    a: str
    b: str
    a_ip: str
    b_ip: str
    a_asn: int
    b_asn: int
    link: str | None


@strawberry.type
class VirtualNetwork:
    id: str
    vlan: int
    vni: int | None
    subnet: str
    routing_zone: str | None
    racks: list[str]


@strawberry.type
class Resource:
    pool: str
    value: str
    owner: str


@strawberry.type
class Pool:
    id: str
    kind: str
    ranges: list[str]
    prefix_len: int | None
    policy: str
    used: int


@strawberry.type
class DiffEntry:
    change: str
    kind: str
    id: str
    field: str | None = None
    before: JSON | None = None
    after: JSON | None = None

    @staticmethod
    def of(entry: Mapping[str, Any]) -> DiffEntry:
        return DiffEntry(
            change=entry["change"],
            kind=entry["kind"],
            id=str(entry["id"]),
            field=entry.get("field"),
            before=entry.get("before"),
            after=entry.get("after"),
        )


@strawberry.type
class Revision:
    number: int
    author: str
    message: str
    at: str
    devices: list[str]
    diff: list[DiffEntry]


@strawberry.type
class StagedChange:
    seq: int
    kind: str
    params: JSON
    author: str
    base_version: int
    at: str


@strawberry.type
class DeviceConfig:
    system: str
    stage: str
    text: str


@strawberry.type
class StageResult:
    blueprint: str
    staged_version: int
