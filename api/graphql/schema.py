"""Root GraphQL types. Resolvers are thin: they call blueprint_engine in a thread."""

from __future__ import annotations

import logging
from typing import Any, NewType

import strawberry
from graphql import GraphQLError
from starlette.concurrency import run_in_threadpool
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.scalars import JSON
from strawberry.types import ExecutionContext
from strawberry.utils.logging import StrawberryLogger

from api.bodies import INT64_MAX, INT64_MIN
from api.graphql.agents import AgentMutation, AgentQuery
from api.graphql.blueprints import BlueprintMutation, BlueprintQuery
from api.graphql.catalogue import CatalogueMutation, CatalogueQuery
from api.graphql.collect import CollectMutation
from api.graphql.context import Info
from api.graphql.custom import CustomMutation
from api.graphql.devices import DeviceMutation, DeviceQuery, DeviceSubscription
from api.graphql.execution import PlannedExecutionContext
from api.graphql.impact import ImpactQuery
from api.graphql.limits import QueryLimits
from api.graphql.pools import PoolMutation, PoolQuery
from api.graphql.probes import ProbeMutation, ProbeQuery
from api.graphql.telemetry import TelemetryQuery, TelemetrySubscription
from api.graphql.topology import TopologyQuery
from api.graphql.virtual import VirtualMutation, VirtualQuery
from api.health import ANSWER_S
from blueprint_engine.errors import FabricError
from blueprint_engine.graph.migrate import graph_version

log = logging.getLogger("fabricgraph.graphql")


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
    AgentQuery,
    BlueprintQuery,
    CatalogueQuery,
    DeviceQuery,
    ImpactQuery,
    PoolQuery,
    ProbeQuery,
    TelemetryQuery,
    TopologyQuery,
    VirtualQuery,
):
    @strawberry.field(description="Health of Neo4j, Redis and the Celery workers.")
    async def health(self, info: Info) -> Health:
        ctx = info.context
        report = await ctx.health.areport(wait_s=ANSWER_S)
        checks = [ServiceCheck(**c) for c in report["checks"]]  # type: ignore[attr-defined]
        return Health(ok=bool(report["ok"]), checks=checks)

    @strawberry.field(description="Number of the last graph migration applied.")
    async def graph_version(self, info: Info) -> int:
        return await run_in_threadpool(graph_version, info.context.graph)


@strawberry.type
class Mutation(
    AgentMutation,
    BlueprintMutation,
    CatalogueMutation,
    CollectMutation,
    CustomMutation,
    DeviceMutation,
    PoolMutation,
    VirtualMutation,
    ProbeMutation,
):
    pass


@strawberry.type
class Subscription(DeviceSubscription, TelemetrySubscription):
    pass


def client_error(error: GraphQLError) -> bool:
    """An error the caller caused (bad query, refused input), not a fault of ours."""
    original = error.original_error
    return original is None or isinstance(original, (FabricError, GraphQLError))


class FabricSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Client errors: one line at debug (a client cannot grow the log at will);
        server errors: logged in full."""
        for error in errors:
            original = error.original_error
            if isinstance(original, FabricError) and not error.extensions:
                # raised by a resolver directly: the same shape as errors mapped by `call`
                error.message, error.extensions = str(original), original.as_dict()
            if client_error(error):
                log.debug("GraphQL client error: %s", " ".join(str(error).split())[:500])
            else:
                StrawberryLogger.error(error, execution_context)


def bounded_json(value: Any) -> Any:
    """A JSON argument, with every integer within 64 bits (what Neo4j stores)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, int) and not isinstance(item, bool):
            if not INT64_MIN <= item <= INT64_MAX:
                raise ValueError(
                    f"the integer {item} is out of range "
                    f"(allowed: integers from {INT64_MIN} to {INT64_MAX})"
                )
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return value


BoundedJSON = strawberry.scalar(
    NewType("BoundedJSON", object),
    name="JSON",
    description="A JSON value (integers within 64 bits)",
    serialize=lambda v: v,
    parse_value=bounded_json,
)


def build_schema() -> strawberry.Schema:
    # parsed and validated documents are reused (process-wide LRU caches, bounded):
    # clients repeat the same query text; QueryLimits must come after the validation cache
    return FabricSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        scalar_overrides={JSON: BoundedJSON},  # type: ignore[dict-item]
        extensions=[
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            QueryLimits,
        ],
        # the blueprint's nested types complete from a plan per selection (see the module)
        execution_context_class=PlannedExecutionContext,
    )
