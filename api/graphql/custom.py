"""Customisation over GraphQL: attach and detach configlets, property sets, tags.

Each mutation stages one edit (operator), like the other staged edits; the blueprint
shows what is attached (``Blueprint.configlets``) and its property set
(``Blueprint.propertySet``), systems their own (``System.propertySet``), and systems,
links and interfaces their ``tags`` (``systems(tag:)`` and ``links(tag:)`` filter).
"""

from __future__ import annotations

import json
from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.auth import Role
from api.graphql.common import call, require
from api.graphql.context import Info
from api.graphql.types import StageResult


@strawberry.type
class AttachedConfiglet:
    id: str = strawberry.field(description="the configlet's name in the blueprint")
    configlet: str = strawberry.field(description="the catalogue configlet it was copied from")
    scope: JSON = strawberry.field(description="roles, device_profiles, racks, systems, tags")
    definition: JSON = strawberry.field(description="the catalogue definition, as attached")

    @staticmethod
    def of(row: dict[str, Any]) -> AttachedConfiglet:
        return AttachedConfiglet(
            id=row["id"],
            configlet=row["configlet"],
            scope=json.loads(row["scope"] or "{}"),
            definition=json.loads(row["definition"]),
        )


@strawberry.input
class ConfigletScopeInput:
    roles: list[str] | None = None
    device_profiles: list[str] | None = None
    racks: list[str] | None = None
    systems: list[str] | None = None
    tags: list[str] | None = None

    def params(self) -> dict[str, list[str]]:
        fields = ("roles", "device_profiles", "racks", "systems", "tags")
        return {f: getattr(self, f) for f in fields if getattr(self, f) is not None}


async def stage_edit(
    info: Info, blueprint: str, base_version: int, kind: str, params: dict[str, Any]
) -> StageResult:
    """Stage one edit of ``kind`` (operator); the staged version it made."""
    author = require(info, Role.OPERATOR, f"stage a {kind} edit")
    version = await call(
        info.context.blueprints.staging.stage,
        blueprint,
        {"kind": kind, "params": params},
        base_version=base_version,
        author=author,
    )
    return StageResult(blueprint=blueprint, staged_version=version)


@strawberry.type
class CustomMutation:
    @strawberry.mutation(
        description="stage attaching a catalogue configlet (its own scope unless one is given)"
    )
    async def attach_configlet(
        self,
        info: Info,
        blueprint: str,
        base_version: int,
        configlet: str,
        scope: ConfigletScopeInput | None = None,
    ) -> StageResult:
        params: dict[str, Any] = {"configlet": configlet}
        if scope is not None:
            params["scope"] = scope.params()
        return await stage_edit(info, blueprint, base_version, "attach_configlet", params)

    @strawberry.mutation(description="stage detaching a configlet: its lines leave the devices")
    async def detach_configlet(
        self, info: Info, blueprint: str, base_version: int, configlet: str
    ) -> StageResult:
        params = {"configlet": configlet}
        return await stage_edit(info, blueprint, base_version, "detach_configlet", params)

    @strawberry.mutation(
        description="stage property values (null removes a key) of the blueprint, or of one "
        "system (which override the blueprint's)"
    )
    async def set_property_set(
        self,
        info: Info,
        blueprint: str,
        base_version: int,
        values: JSON,
        system: str | None = None,
    ) -> StageResult:
        params = {"values": values, "system": system}
        return await stage_edit(info, blueprint, base_version, "set_property_set", params)

    @strawberry.mutation(description="stage the tags of a System, Link or Interface (replaced)")
    async def set_tags(
        self,
        info: Info,
        blueprint: str,
        base_version: int,
        kind: str,
        id: str,
        tags: list[str],
    ) -> StageResult:
        params = {"kind": kind, "id": id, "tags": tags}
        return await stage_edit(info, blueprint, base_version, "set_tags", params)
