"""Root GraphQL types. Resolvers are thin: they call blueprint_engine in a thread."""

from __future__ import annotations

import strawberry
from starlette.concurrency import run_in_threadpool
from strawberry.extensions import ParserCache, ValidationCache

from api.graphql.blueprints import BlueprintMutation, BlueprintQuery
from api.graphql.catalogue import CatalogueMutation, CatalogueQuery
from api.graphql.collect import CollectMutation
from api.graphql.context import Info
from api.graphql.devices import DeviceMutation, DeviceQuery, DeviceSubscription
from api.graphql.execution import PlannedExecutionContext
from api.graphql.impact import ImpactQuery
from api.graphql.telemetry import TelemetryQuery, TelemetrySubscription
from api.graphql.topology import TopologyQuery
from api.health import health as service_health
from blueprint_engine.migrate import graph_version


@strawberry.type
class ServiceCheck:
    name: str
    up: bool
    detail: str


@strawberry.type
class Health:
    ok: bool
    checks: list[ServiceCheck]


@strawberry.type
class Query(
    BlueprintQuery, CatalogueQuery, DeviceQuery, ImpactQuery, TelemetryQuery, TopologyQuery
):
    @strawberry.field(description="Health of Neo4j, Redis and the Celery workers.")
    async def health(self, info: Info) -> Health:
        ctx = info.context
        report = await run_in_threadpool(service_health, ctx.graph, ctx.settings)
        checks = [ServiceCheck(**c) for c in report["checks"]]  # type: ignore[attr-defined]
        return Health(ok=bool(report["ok"]), checks=checks)

    @strawberry.field(description="Number of the last graph migration applied.")
    async def graph_version(self, info: Info) -> int:
        return await run_in_threadpool(graph_version, info.context.graph)


@strawberry.type
class Mutation(BlueprintMutation, CatalogueMutation, CollectMutation, DeviceMutation):
    pass


@strawberry.type
class Subscription(DeviceSubscription, TelemetrySubscription):
    pass


def build_schema() -> strawberry.Schema:
    # parsed and validated documents are reused (process-wide LRU caches, bounded):
    # clients repeat the same query text
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[lambda: ParserCache(maxsize=256), lambda: ValidationCache(maxsize=256)],
        # the blueprint's nested types complete from a plan per selection (see the module)
        execution_context_class=PlannedExecutionContext,
    )
