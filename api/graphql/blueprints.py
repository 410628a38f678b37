"""Blueprint queries and the mutations that stage, commit and roll back changes."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types.nodes import Selection

from api.auth import Role
from api.graphql import levels
from api.graphql.common import call, device_ops, require
from api.graphql.context import Info
from api.graphql.custom import AttachedConfiglet, stage_edit
from api.graphql.loaders import Reader, StagedRef
from api.graphql.shapes import Completed
from api.graphql.types import (
    BgpSession,
    DeviceConfig,
    DiffEntry,
    Link,
    Pool,
    Resource,
    Revision,
    StagedChange,
    StageResult,
    System,
    VirtualNetwork,
    pick,
)
from blueprint_engine import reads, shaped
from blueprint_engine.change.staging import Revision as RevisionData
from blueprint_engine.graph.db import Query, Tx
from blueprint_engine.shaped import Kind, Shape


def _selections(info: Info) -> list[Selection]:
    """What the query selects below the field being resolved."""
    return [child for field in info.selected_fields for child in field.selections]


def _planned(info: Info, root: Kind) -> shaped.Level | None:
    """The statements reading this list field in the client's shape, when the execution
    context found one for it (``api.graphql.execution``)."""
    shape: Shape | None = info.context.shapes.pop(tuple(info.path.as_list()), None)
    return None if shape is None else shaped.plan(shape, root)


def _revision(r: RevisionData, reconciling: list[str] | None = None) -> Revision:
    return Revision(
        number=r.number,
        author=r.author,
        message=r.message,
        at=r.at,
        devices=r.devices,
        diff=[DiffEntry.of(e) for e in r.diff],
        reconciling=reconciling or [],
    )


@strawberry.enum(description="which version of a blueprint a read shows")
class View(Enum):
    ACTIVE = "active"  # the committed blueprint (what is deployed)
    STAGED = "staged"  # active with the pending staged edits applied


@strawberry.type
class Blueprint:
    pinned: strawberry.Private[int | None] = None  # staged version a STAGED read shows
    view: View = View.ACTIVE
    name: str
    template: str
    overlay: str
    staged_version: int
    active_revision: int
    racks: int
    spines: int
    leafs: int
    servers: int
    links_count: int
    bgp_sessions_count: int
    resources_count: int

    @property
    def _staged(self) -> StagedRef:
        return None if self.pinned is None else (self.name, self.pinned)

    async def _rows(self, info: Info, query: Query, **params: Any) -> list[dict[str, Any]]:
        """Rows of ``query`` for this blueprint, from active or from its staged view."""
        graph = info.context.graph
        if self.pinned is None:
            return await call(reads.rows, graph, query, bp=self.name, **params)

        def work(tx: Tx) -> list[dict[str, Any]]:
            return reads.rows_in(graph, tx, query, bp=self.name, **params)

        return await call(info.context.blueprints.staging.read_staged, self.name, work, self.pinned)

    @strawberry.field(
        description="systems in natural order of ids (rack2 before rack10); at most "
        f"{reads.MAX_PAGE} per page (limit or first), the next page after the cursor of "
        "the last one; every level below is read with one statement per level"
    )
    async def systems(
        self,
        info: Info,
        role: str | None = None,
        rack: str | None = None,
        name: str | None = None,
        tag: str | None = None,
        limit: int = 100,
        offset: int = 0,
        first: int | None = None,
        after: str | None = None,
    ) -> list[System]:
        page = reads.page(limit if first is None else first, offset, after)
        params = {"bp": self.name, "role": role, "rack": rack, "name": name, "tag": tag, **page}
        selections = _selections(info)
        reader = Reader(info.context, self._staged, self.name)
        planned = _planned(info, "System")

        def work(tx: Tx) -> list[System] | Completed:
            graph = info.context.graph
            found = None if planned is None else shaped.read(graph, tx, planned, params)
            if found is not None:
                return Completed(found)
            return levels.read_systems(graph, tx, reader, params, selections)

        # a Completed answer is returned as it is by the execution context
        return cast("list[System]", await call(reader.transaction, work))

    @strawberry.field(
        description="links in natural order of ids; at most "
        f"{reads.MAX_PAGE} per page (limit or first), the next page after the cursor of "
        "the last one"
    )
    async def links(
        self,
        info: Info,
        role: str | None = None,
        tag: str | None = None,
        limit: int = 100,
        offset: int = 0,
        first: int | None = None,
        after: str | None = None,
    ) -> list[Link]:
        page = reads.page(limit if first is None else first, offset, after)
        params = {"bp": self.name, "role": role, "tag": tag, **page}
        selections = _selections(info)
        reader = Reader(info.context, self._staged, self.name)
        planned = _planned(info, "Link")

        def work(tx: Tx) -> list[Link] | Completed:
            graph = info.context.graph
            found = None if planned is None else shaped.read(graph, tx, planned, params)
            if found is not None:
                return Completed(found)
            return levels.read_links(graph, tx, reader, params, selections)

        # a Completed answer is returned as it is by the execution context
        return cast("list[Link]", await call(reader.transaction, work))

    @strawberry.field
    async def bgp_sessions(
        self, info: Info, afi: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[BgpSession]:
        rows = await self._rows(info, reads.SESSIONS, afi=afi, **reads.page(limit, offset))
        return [pick(BgpSession, r) for r in rows]

    @strawberry.field
    async def virtual_networks(
        self, info: Info, limit: int = 100, offset: int = 0
    ) -> list[VirtualNetwork]:
        rows = await self._rows(info, reads.VIRTUAL_NETWORKS, **reads.page(limit, offset))
        return [pick(VirtualNetwork, r) for r in rows]

    @strawberry.field
    async def resources(
        self,
        info: Info,
        pool: str | None = None,
        owner: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Resource]:
        page = reads.page(limit, offset)
        rows = await self._rows(info, reads.RESOURCES, pool=pool, owner=owner, **page)
        return [pick(Resource, r) for r in rows]

    @strawberry.field
    async def pools(self, info: Info) -> list[Pool]:
        rows = await self._rows(info, reads.POOLS)
        return [pick(Pool, r) for r in rows]

    @strawberry.field(description="configlets attached to the blueprint, by name")
    async def configlets(self, info: Info) -> list[AttachedConfiglet]:
        rows = await self._rows(info, reads.CONFIGLETS)
        return [AttachedConfiglet.of(r) for r in rows]

    @strawberry.field(description="the blueprint's property values (systems may override)")
    async def property_set(self, info: Info) -> JSON:
        rows = await self._rows(info, reads.BLUEPRINT_PROPERTIES)
        found: dict[str, Any] = json.loads(rows[0]["property_set"] or "{}") if rows else {}
        return cast(JSON, found)

    @strawberry.field(description="the staged edit log, oldest first")
    async def staged_changes(self, info: Info) -> list[StagedChange]:
        changes = await call(info.context.blueprints.staging.changes, self.name)
        return [
            StagedChange(
                seq=c.seq,
                kind=c.kind,
                params=c.params,  # type: ignore[arg-type]
                author=c.author,
                base_version=c.base_version,
                at=c.at,
            )
            for c in changes
        ]

    @strawberry.field(description="logical diff of staged against active")
    async def staged_diff(self, info: Info) -> list[DiffEntry]:
        entries = await call(info.context.blueprints.staging.diff, self.name)
        return [DiffEntry.of(e) for e in entries]

    @strawberry.field(description="problems that block a commit of the staged blueprint")
    async def build_errors(self, info: Info) -> list[str]:
        return await call(info.context.blueprints.staging.build_errors, self.name)

    @strawberry.field(
        description="per-switch config delta a commit of staged would apply, and its rollback"
    )
    async def incremental_configs(self, info: Info) -> list[DeviceConfig]:
        preview = await call(info.context.blueprints.incremental_changes, self.name)
        return [
            DeviceConfig(
                system=s, stage="incremental", text=c["incremental"], rollback=c["rollback"]
            )
            for s, c in sorted(preview.items())
        ]

    @strawberry.field(description="a stored config stage of a switch: rendered or incremental")
    async def config(self, info: Info, system: str, stage: str = "rendered") -> DeviceConfig | None:
        text = await call(info.context.blueprints.config, self.name, system, stage)
        return None if text is None else DeviceConfig(system=system, stage=stage, text=text)

    @strawberry.field
    async def revisions(self, info: Info) -> list[Revision]:
        revisions = await call(info.context.blueprints.staging.revisions, self.name)
        return [_revision(r) for r in revisions]

    @strawberry.field(description="logical diff between two revisions (0 = as built)")
    async def revision_diff(self, info: Info, older: int, newer: int) -> list[DiffEntry]:
        entries = await call(info.context.blueprints.staging.diff_between, self.name, older, newer)
        return [DiffEntry.of(e) for e in entries]

    @staticmethod
    def of(row: dict[str, Any], pinned: int | None = None) -> Blueprint:
        return Blueprint(
            pinned=pinned,
            view=View.ACTIVE if pinned is None else View.STAGED,
            name=row["name"],
            template=row["template"],
            overlay=row["overlay"],
            staged_version=row["staged_version"],
            active_revision=row["active_revision"],
            racks=row["racks"],
            spines=row["spines"],
            leafs=row["leafs"],
            servers=row["servers"],
            links_count=row["links"],
            bgp_sessions_count=row["bgp_sessions"],
            resources_count=row["resources"],
        )


@strawberry.type
class BlueprintQuery:
    @strawberry.field
    async def blueprints(self, info: Info) -> list[str]:
        return await call(info.context.blueprints.names)

    @strawberry.field(
        description="a blueprint as active (committed) or as STAGED: every list below it "
        "(systems, interfaces, links, BGP sessions, virtual networks, resources, pools) "
        "and its counts then show the pending edits applied"
    )
    async def blueprint(self, info: Info, name: str, view: View = View.ACTIVE) -> Blueprint:
        blueprints = info.context.blueprints
        if view is View.ACTIVE:
            return Blueprint.of(await call(blueprints.summary, name))
        row = await call(blueprints.staged_summary, name)
        return Blueprint.of(row, pinned=int(row["staged_version"]))


@strawberry.type
class BlueprintMutation:
    @strawberry.mutation(description="instantiate a template as a new blueprint")
    async def create_blueprint(self, info: Info, name: str, template: str) -> Blueprint:
        require(info, Role.OPERATOR, "create a blueprint")
        return Blueprint.of(await call(info.context.blueprints.create, name, template))

    @strawberry.mutation
    async def delete_blueprint(self, info: Info, name: str) -> bool:
        require(info, Role.ADMIN, "delete a blueprint")
        await call(info.context.blueprints.delete, name)
        return True

    @strawberry.mutation
    async def add_rack(
        self,
        info: Info,
        blueprint: str,
        base_version: int,
        rack_type: str,
        pod: str | None = None,
    ) -> StageResult:
        params: dict[str, Any] = {"rack_type": rack_type}
        if pod is not None:  # 5-stage: the pod the rack joins
            params["pod"] = pod
        return await stage_edit(info, blueprint, base_version, "add_rack", params)

    @strawberry.mutation(description="5-stage: stage one more pod built from a rack-based template")
    async def add_pod(
        self, info: Info, blueprint: str, base_version: int, template: str
    ) -> StageResult:
        return await stage_edit(info, blueprint, base_version, "add_pod", {"template": template})

    @strawberry.mutation
    async def remove_rack(
        self, info: Info, blueprint: str, base_version: int, rack: str
    ) -> StageResult:
        return await stage_edit(info, blueprint, base_version, "remove_rack", {"rack": rack})

    @strawberry.mutation
    async def add_virtual_network(
        self,
        info: Info,
        blueprint: str,
        base_version: int,
        name: str,
        racks: list[str],
        vlan: int | None = None,
        routing_zone: str = "default",
    ) -> StageResult:
        params = {"name": name, "racks": racks, "vlan": vlan, "routing_zone": routing_zone}
        return await stage_edit(info, blueprint, base_version, "add_virtual_network", params)

    @strawberry.mutation
    async def remove_virtual_network(
        self, info: Info, blueprint: str, base_version: int, name: str
    ) -> StageResult:
        return await stage_edit(
            info, blueprint, base_version, "remove_virtual_network", {"name": name}
        )

    @strawberry.mutation
    async def recable_link(
        self, info: Info, blueprint: str, base_version: int, link: str, side: str, interface: str
    ) -> StageResult:
        params = {"link": link, "side": side, "interface": interface}
        return await stage_edit(info, blueprint, base_version, "recable_link", params)

    @strawberry.mutation
    async def set_property(
        self,
        info: Info,
        blueprint: str,
        base_version: int,
        kind: str,
        id: str,
        key: str,
        value: JSON,
    ) -> StageResult:
        params = {"kind": kind, "id": id, "key": key, "value": value}
        return await stage_edit(info, blueprint, base_version, "set_property", params)

    @strawberry.mutation
    async def set_deploy_mode(
        self, info: Info, blueprint: str, base_version: int, system: str, mode: str
    ) -> StageResult:
        params = {"system": system, "mode": mode}
        return await stage_edit(info, blueprint, base_version, "set_deploy_mode", params)

    @strawberry.mutation(description="apply the staged edits to active as one revision")
    async def commit(self, info: Info, blueprint: str, base_version: int, message: str) -> Revision:
        author = require(info, Role.OPERATOR, "commit a blueprint")
        revision = await call(  # stores the touched switches' rendered + incremental configs
            info.context.blueprints.commit,
            blueprint,
            base_version=base_version,
            author=author,
            message=message,
        )
        # the touched switches' pushes start now; the reconciler's sweep stays the net
        sent = await call(device_ops(info).reconcile_touched, blueprint, revision.devices)
        return _revision(revision, sorted(sent))

    @strawberry.mutation(description="stage the inverse of every revision after to_revision")
    async def rollback(
        self, info: Info, blueprint: str, base_version: int, to_revision: int
    ) -> StageResult:
        author = require(info, Role.OPERATOR, "roll back a blueprint")
        version = await call(
            info.context.blueprints.staging.rollback,
            blueprint,
            to_revision,
            base_version=base_version,
            author=author,
        )
        return StageResult(blueprint=blueprint, staged_version=version)

    @strawberry.mutation
    async def discard_staged(self, info: Info, blueprint: str, base_version: int) -> bool:
        require(info, Role.OPERATOR, "discard staged edits")
        await call(info.context.blueprints.staging.discard, blueprint, base_version=base_version)
        return True
