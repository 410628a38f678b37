"""GraphQL: user-defined probes of a blueprint (with the predefined ones): list, create,
delete. A probe's anomalies are ordinary anomalies of type ``probe`` carrying its name."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from api import probes
from api.auth import Role
from api.graphql.common import call, require
from api.graphql.context import Info


@strawberry.type
class Probe:
    name: str
    predefined: bool
    description: str
    kind: str = strawberry.field(description="the observation kind it watches")
    field: str = strawberry.field(description="the field of that kind's value")
    scope: str = strawberry.field(description="read-only Cypher returning subject ids")
    processors: JSON = strawberry.field(description="the processor chain")
    anomaly_type: str
    severity: str
    subjects: int = strawberry.field(description="intent nodes the scope selects now")
    raised: int = strawberry.field(description="its anomalies raised now")
    created_by: str | None
    created_at: str | None

    @staticmethod
    def of(row: dict[str, Any]) -> Probe:
        return Probe(
            name=row["name"],
            predefined=row["predefined"],
            description=row["description"],
            kind=row["kind"],
            field=row["field"],
            scope=row["scope"],
            processors=row["processors"],
            anomaly_type=row["anomaly"]["type"],
            severity=row["anomaly"]["severity"],
            subjects=row["subjects"],
            raised=row["raised"],
            created_by=row["created_by"],
            created_at=row["created_at"],
        )


@strawberry.type
class ProbeQuery:
    @strawberry.field(description="the blueprint's probes: predefined, then user-defined")
    async def probes(self, info: Info, blueprint: str) -> list[Probe]:
        return [Probe.of(r) for r in await call(probes.listing, info.context.graph, blueprint)]


@strawberry.type
class ProbeMutation:
    @strawberry.mutation(
        description="create a probe: {name, scope, kind, field, processors, anomaly: {type, "
        "severity}, description} (see the README); refused with the graph unchanged when "
        "anything is not allowed"
    )
    async def create_probe(self, info: Info, blueprint: str, definition: JSON) -> Probe:
        author = require(info, Role.OPERATOR, "create a probe")
        row = await call(probes.create, info.context.graph, blueprint, definition, author)
        return Probe.of(row)

    @strawberry.mutation(description="delete a user probe; its anomalies are cleared")
    async def delete_probe(self, info: Info, blueprint: str, name: str) -> str:
        require(info, Role.OPERATOR, "delete a probe")
        settings = info.context.settings
        await call(probes.delete, info.context.graph, settings.redis_url, blueprint, name)
        return name
