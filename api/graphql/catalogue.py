"""The design catalogue over GraphQL: list entries (fixtures and created), create entries,
delete a created entry that nothing uses.

A definition is given as JSON exactly like a YAML list item of its kind's section in
``fixtures/catalogue/`` and gets the same checks; an invalid one is a GraphQL error whose
``extensions.problems`` list each field and what is allowed. Creating needs an operator.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.auth import Role
from api.graphql.common import call, require
from api.graphql.context import Info
from blueprint_engine.catalogue.models import SECTIONS


@strawberry.enum
class EntrySource(Enum):
    FIXTURE = "fixture"  # built in: fixtures/catalogue/*.yaml
    CREATED = "created"  # created through the API or the CLI, stored in the graph


@strawberry.interface
class CatalogueEntry:
    name: str
    source: EntrySource
    location: str | None = strawberry.field(description="file:line of a fixture entry")
    created_by: str | None
    created_via: str | None = strawberry.field(description="rest, graphql or cli")
    created_at: str | None
    definition: JSON = strawberry.field(description="the entry as in the catalogue YAML")


def _common(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": row["name"],
        "source": EntrySource(row["source"]),
        "location": row["location"],
        "created_by": row["created_by"],
        "created_via": row["created_via"],
        "created_at": row["created_at"],
        "definition": row["definition"],
    }


@strawberry.type
class PortGroup:
    count: int
    speed_mbps: int
    roles: list[str]


@strawberry.type
class LogicalDevice(CatalogueEntry):
    port_groups: list[PortGroup]

    @strawberry.field(description="logical ports in all")
    def ports(self) -> int:
        return sum(group.count for group in self.port_groups)

    @staticmethod
    def of(row: dict[str, Any]) -> LogicalDevice:
        groups = [
            PortGroup(count=g["count"], speed_mbps=g["speed_mbps"], roles=list(g["roles"]))
            for g in row["definition"]["port_groups"]
        ]
        return LogicalDevice(**_common(row), port_groups=groups)


@strawberry.type
class DeviceProfile(CatalogueEntry):
    hardware_model: str
    nos: str
    ports: int = strawberry.field(description="physical ports in all")

    @staticmethod
    def of(row: dict[str, Any]) -> DeviceProfile:
        d = row["definition"]
        ports = sum(block["count"] for block in d["ports"])
        return DeviceProfile(
            **_common(row), hardware_model=d["hardware_model"], nos=d["nos"], ports=ports
        )


@strawberry.type
class InterfaceMap(CatalogueEntry):
    logical_device: str
    device_profile: str

    @staticmethod
    def of(row: dict[str, Any]) -> InterfaceMap:
        d = row["definition"]
        return InterfaceMap(
            **_common(row), logical_device=d["logical_device"], device_profile=d["device_profile"]
        )


@strawberry.type
class RackType(CatalogueEntry):
    leafs: str = strawberry.field(description="single or pair")
    leaf_logical_device: str
    leaf_device_profile: str
    servers: int
    server_homing: str
    server_logical_device: str

    @staticmethod
    def of(row: dict[str, Any]) -> RackType:
        d = row["definition"]
        return RackType(
            **_common(row),
            leafs=d["leafs"],
            leaf_logical_device=d["leaf"]["logical_device"],
            leaf_device_profile=d["leaf"]["device_profile"],
            servers=d["servers"]["count"],
            server_homing=d["servers"]["homing"],
            server_logical_device=d["servers"]["logical_device"],
        )


@strawberry.type
class RackCount:
    rack_type: str
    count: int


@strawberry.type
class PodCount:
    template: str
    count: int


@strawberry.type
class Template(CatalogueEntry):
    type: str  # rack_based | pod_based | collapsed
    overlay: str
    spines: int  # 0 for pod-based (each pod's template has its own) and collapsed
    spine_logical_device: str | None
    spine_device_profile: str | None
    racks: list[RackCount]
    superspine_planes: int
    superspines_per_plane: int
    pods: list[PodCount]

    @staticmethod
    def of(row: dict[str, Any]) -> Template:
        d = row["definition"]
        spines = d.get("spines") or {}
        superspines = d.get("superspines") or {}
        racks = d.get("racks", [])
        return Template(
            **_common(row),
            type=d.get("type", "rack_based"),
            overlay=d["overlay"],
            spines=spines.get("count", 0),
            spine_logical_device=spines.get("logical_device"),
            spine_device_profile=spines.get("device_profile"),
            racks=[RackCount(rack_type=r["rack_type"], count=r["count"]) for r in racks],
            superspine_planes=superspines.get("planes", 0),
            superspines_per_plane=superspines.get("per_plane", 0),
            pods=[PodCount(template=p["template"], count=p["count"]) for p in d.get("pods", [])],
        )


@strawberry.type
class ConfigletGenerator:
    nos: str
    section: str
    template: str
    negation: str | None


@strawberry.type
class Configlet(CatalogueEntry):
    generators: list[ConfigletGenerator]
    scope: JSON = strawberry.field(
        description="default scope: roles, device_profiles, racks, systems, tags"
    )

    @staticmethod
    def of(row: dict[str, Any]) -> Configlet:
        d = row["definition"]
        generators = [
            ConfigletGenerator(
                nos=nos,
                section=g.get("section") or SECTIONS[nos][0],
                template=g["template"],
                negation=g.get("negation"),
            )
            for nos, g in sorted(d["generators"].items())
        ]
        return Configlet(**_common(row), generators=generators, scope=d.get("scope", {}))


def _of_kind(rows: list[dict[str, Any]], kind: str, source: EntrySource | None) -> list[Any]:
    return [
        r for r in rows if r["kind"] == kind and (source is None or r["source"] == source.value)
    ]


@strawberry.type
class Catalogue:
    """Every entry, read once per request (fixtures + one graph query)."""

    rows: strawberry.Private[list[dict[str, Any]]]

    @strawberry.field
    def logical_devices(self, source: EntrySource | None = None) -> list[LogicalDevice]:
        return [LogicalDevice.of(r) for r in _of_kind(self.rows, "logical_devices", source)]

    @strawberry.field
    def device_profiles(self, source: EntrySource | None = None) -> list[DeviceProfile]:
        return [DeviceProfile.of(r) for r in _of_kind(self.rows, "device_profiles", source)]

    @strawberry.field
    def interface_maps(self, source: EntrySource | None = None) -> list[InterfaceMap]:
        return [InterfaceMap.of(r) for r in _of_kind(self.rows, "interface_maps", source)]

    @strawberry.field
    def rack_types(self, source: EntrySource | None = None) -> list[RackType]:
        return [RackType.of(r) for r in _of_kind(self.rows, "rack_types", source)]

    @strawberry.field
    def templates(self, source: EntrySource | None = None) -> list[Template]:
        return [Template.of(r) for r in _of_kind(self.rows, "templates", source)]

    @strawberry.field
    def configlets(self, source: EntrySource | None = None) -> list[Configlet]:
        return [Configlet.of(r) for r in _of_kind(self.rows, "configlets", source)]


@strawberry.type
class CatalogueQuery:
    @strawberry.field(description="the design catalogue: built-in and created entries")
    async def catalogue(self, info: Info) -> Catalogue:
        return Catalogue(rows=await call(info.context.blueprints.catalogues.entries))


async def _create(info: Info, kind: str, definition: JSON) -> dict[str, Any]:
    author = require(info, Role.OPERATOR, f"create a catalogue entry ({kind})")
    catalogues = info.context.blueprints.catalogues
    created = await call(
        lambda: catalogues.create(kind, [definition], author=author, via="graphql")
    )
    return created[0]


@strawberry.type
class DeletedEntry:
    kind: str
    name: str
    definition: JSON = strawberry.field(description="the entry as it was defined")


@strawberry.type
class CatalogueMutation:
    @strawberry.mutation(
        description="delete a created catalogue entry that no entry and no blueprint uses "
        "(operator); fixture entries cannot be deleted"
    )
    async def delete_catalogue_entry(self, info: Info, kind: str, name: str) -> DeletedEntry:
        require(info, Role.OPERATOR, f"delete a catalogue entry ({kind})")
        row = await call(info.context.blueprints.catalogues.delete, kind, name)
        return DeletedEntry(kind=row["kind"], name=row["name"], definition=row["definition"])

    @strawberry.mutation(description="create a logical device (operator)")
    async def create_logical_device(self, info: Info, definition: JSON) -> LogicalDevice:
        return LogicalDevice.of(await _create(info, "logical_devices", definition))

    @strawberry.mutation(description="create a device profile (operator)")
    async def create_device_profile(self, info: Info, definition: JSON) -> DeviceProfile:
        return DeviceProfile.of(await _create(info, "device_profiles", definition))

    @strawberry.mutation(description="create an interface map (operator)")
    async def create_interface_map(self, info: Info, definition: JSON) -> InterfaceMap:
        return InterfaceMap.of(await _create(info, "interface_maps", definition))

    @strawberry.mutation(description="create a rack type (operator)")
    async def create_rack_type(self, info: Info, definition: JSON) -> RackType:
        return RackType.of(await _create(info, "rack_types", definition))

    @strawberry.mutation(description="create a template (operator)")
    async def create_template(self, info: Info, definition: JSON) -> Template:
        return Template.of(await _create(info, "templates", definition))

    @strawberry.mutation(
        description="create a configlet (operator): per-NOS templates, sections, "
        "negations and a default scope"
    )
    async def create_configlet(self, info: Info, definition: JSON) -> Configlet:
        return Configlet.of(await _create(info, "configlets", definition))
