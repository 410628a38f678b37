"""GraphQL object types of the blueprint graph. Children load in batches per level."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from blueprint_engine import reads
from blueprint_engine.design.ports import port_intent


def pick(cls: Any, row: dict[str, Any]) -> Any:
    """An instance of ``cls`` from the row keys it declares."""
    names = cls.__annotations__.keys()
    return cls(**{n: row.get(n) for n in names if not n.startswith("_")})


class ChildReader(Protocol):
    """Loads a child a level read did not attach (``api.graphql.loaders.Reader``)."""

    def interface(self, uid: str) -> Awaitable[Interface | None]: ...
    def link(self, uid: str) -> Awaitable[Link | None]: ...
    def system(self, uid: str) -> Awaitable[System | None]: ...
    def interfaces(
        self, system_uid: str, first: int, after: str | None, tag: str | None = None
    ) -> Awaitable[list[Interface]]: ...


def _later(reader: ChildReader | None, load: Callable[[ChildReader], Awaitable[Any]]) -> Any:
    """A child not read with its level (a shape the level reader did not plan): loaded
    by the request's dataloader; graphql-core awaits what a resolver returns."""
    if reader is None:
        raise GraphQLError("this object was built without a reader for its children")
    return load(reader)


@strawberry.type
class Link:
    uid: strawberry.Private[str]
    a_uid: strawberry.Private[str]
    b_uid: strawberry.Private[str]
    reader: strawberry.Private[ChildReader | None] = None  # loads unplanned children
    a_obj: strawberry.Private[Interface | None] = None
    b_obj: strawberry.Private[Interface | None] = None
    id: str
    role: str
    speed_mbps: int
    subnet: str | None
    a: str = strawberry.field(description="interface id of the A end (spine side)")
    b: str = strawberry.field(description="interface id of the B end")
    tags: list[str]
    cursor: str = strawberry.field(description="pass as `after` to list what follows")

    @strawberry.field(description="the A end (spine side) with its system")
    def a_end(self) -> Interface:
        if self.a_obj is not None:
            return self.a_obj
        found: Interface = _later(self.reader, lambda r: r.interface(self.a_uid))
        return found

    @strawberry.field(description="the B end with its system")
    def b_end(self) -> Interface:
        if self.b_obj is not None:
            return self.b_obj
        found: Interface = _later(self.reader, lambda r: r.interface(self.b_uid))
        return found

    @staticmethod
    def of_values(values: list[Any], prefix: str, reader: ChildReader | None) -> Link:
        """From a row of ``reads.LINKS_BY_UID`` (a list; uids are ``prefix`` + id)."""
        ident, role, speed, subnet, a, b, tags = values
        return Link(
            tags=tags or [],
            uid=prefix + ident,
            a_uid=prefix + a,
            b_uid=prefix + b,
            reader=reader,
            id=ident,
            role=role,
            speed_mbps=speed,
            subnet=subnet,
            a=a,
            b=b,
            cursor=reads.sort_key(ident),
        )

    @staticmethod
    def of(row: dict[str, Any], reader: ChildReader | None = None) -> Link:
        return Link(
            uid=row["uid"],
            a_uid=row["a_uid"],
            b_uid=row["b_uid"],
            reader=reader,
            id=row["id"],
            role=row["role"],
            speed_mbps=row["speed_mbps"],
            subnet=row.get("subnet"),
            a=row["a"],
            b=row["b"],
            tags=row.get("tags") or [],
            cursor=reads.sort_key(row["id"]),
        )


@strawberry.type
class Interface:
    uid: strawberry.Private[str]
    link_uid: strawberry.Private[str | None]
    system_uid: strawberry.Private[str]
    reader: strawberry.Private[ChildReader | None] = None  # loads unplanned children
    link_obj: strawberry.Private[Link | None] = None
    system_obj: strawberry.Private[System | None] = None
    id: str
    name: str
    speed_mbps: int = strawberry.field(description="the port's speed in its device profile")
    ipv4: str | None
    transceiver: str | None
    breakouts: list[str] = strawberry.field(description="breakout modes, e.g. 4x25000")
    cabled: bool = strawberry.field(description="a link is cabled to this port")
    enabled: bool = strawberry.field(
        description="admin intent: a cabled port is intended up, an unused port down"
    )
    intent: str = strawberry.field(description="in_service (cabled) or unused")
    tags: list[str]
    cursor: str = strawberry.field(description="pass as `after` to list what follows")

    @strawberry.field(description="the link cabled to this interface, if any")
    def link(self) -> Link | None:
        if self.link_uid is None or self.link_obj is not None:
            return self.link_obj
        link_uid = self.link_uid
        found: Link | None = _later(self.reader, lambda r: r.link(link_uid))
        return found

    @strawberry.field(description="the system this interface belongs to")
    def system(self) -> System:
        if self.system_obj is not None:
            return self.system_obj
        found: System = _later(self.reader, lambda r: r.system(self.system_uid))
        return found

    @staticmethod
    def of_values(values: list[Any], prefix: str, reader: ChildReader | None) -> Interface:
        """From a row of ``reads.INTERFACES_OF`` (a list; uids are ``prefix`` + id)."""
        ident, name, speed, ipv4, breakouts, system, link, transceiver, tags = values
        cabled = link is not None
        return Interface(
            tags=tags or [],
            uid=prefix + ident,
            link_uid=prefix + link if cabled else None,
            system_uid=prefix + system,
            reader=reader,
            id=ident,
            name=name,
            speed_mbps=speed,
            ipv4=ipv4,
            transceiver=transceiver,
            breakouts=breakouts or [],
            cabled=cabled,
            enabled=cabled,
            intent=port_intent(cabled).value,
            cursor=reads.sort_key(name),
        )

    @staticmethod
    def of(row: dict[str, Any], reader: ChildReader | None = None) -> Interface:
        cabled = bool(row.get("cabled"))
        return Interface(
            uid=row["uid"],
            link_uid=row.get("link"),
            system_uid=row["system_uid"],
            reader=reader,
            id=row["id"],
            name=row["name"],
            speed_mbps=row["speed_mbps"],
            ipv4=row.get("ipv4"),
            transceiver=row.get("transceiver"),
            breakouts=row.get("breakouts") or [],
            cabled=cabled,
            enabled=cabled,
            intent=port_intent(cabled).value,
            tags=row.get("tags") or [],
            cursor=reads.sort_key(row["name"]),
        )


@strawberry.type
class System:
    uid: strawberry.Private[str]
    reader: strawberry.Private[ChildReader | None] = None  # loads unplanned children
    # pages of interfaces read with their level, by (first, after)
    pages: strawberry.Private[dict[tuple[int, str | None, str | None], list[Interface]] | None] = (
        None
    )
    id: str
    hostname: str
    role: str
    rack: str | None
    asn: int | None
    loopback: str | None
    device_profile: str | None
    logical_device: str
    deploy_mode: str | None
    tags: list[str]
    property_set: JSON = strawberry.field(
        description="the system's own property values (over the blueprint's)"
    )
    cursor: str = strawberry.field(description="pass as `after` to list what follows")

    @strawberry.field(
        description="every port (cabled or unused) in natural order of names; at most "
        f"{reads.MAX_PAGE} per page, the next page after the cursor of the last one; only "
        "those tagged `tag` when given"
    )
    def interfaces(
        self, first: int = reads.MAX_PAGE, after: str | None = None, tag: str | None = None
    ) -> list[Interface]:
        key = (reads.clamp(first), after, tag)
        if self.pages is not None and key in self.pages:
            return self.pages[key]
        found: list[Interface] = _later(self.reader, lambda r: r.interfaces(self.uid, *key))
        return found

    @staticmethod
    def of_values(values: list[Any], prefix: str, reader: ChildReader | None) -> System:
        """From a row of ``reads.SYSTEMS_BY_UID`` (a list; uids are ``prefix`` + id)."""
        ident, hostname, role, asn, loopback, profile, logical, mode, rack, tags, props = values
        return System(
            tags=tags or [],
            property_set=json.loads(props or "{}"),
            uid=prefix + ident,
            reader=reader,
            id=ident,
            hostname=hostname,
            role=role,
            rack=rack,
            asn=asn,
            loopback=loopback,
            device_profile=profile,
            logical_device=logical,
            deploy_mode=mode,
            cursor=reads.sort_key(ident),
        )

    @staticmethod
    def of(row: dict[str, Any], reader: ChildReader | None = None) -> System:
        return System(
            uid=row["uid"],
            reader=reader,
            id=row["id"],
            hostname=row["hostname"],
            role=row["role"],
            rack=row.get("rack"),
            asn=row.get("asn"),
            loopback=row.get("loopback"),
            device_profile=row.get("device_profile"),
            logical_device=row["logical_device"],
            deploy_mode=row.get("deploy_mode"),
            tags=row.get("tags") or [],
            property_set=json.loads(row.get("property_set") or "{}"),
            cursor=reads.sort_key(row["id"]),
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
    reconciling: list[str] = strawberry.field(
        default_factory=list,
        description="serials of the devices whose reconcile this commit sent at once "
        "(empty when read from history)",
    )


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
    rollback: str | None = strawberry.field(
        default=None,
        description="incremental previews: what undoes `text` on the device (on eos, nxos"
        " and junos hier_config's rollback commands, on linux_frr the reverse diffs)",
    )


@strawberry.type
class StageResult:
    blueprint: str
    staged_version: int
