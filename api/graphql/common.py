"""Helpers shared by resolvers: run engine calls off the event loop, map errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from graphql import GraphQLError
from starlette.concurrency import run_in_threadpool

from api.auth import Role
from api.clients import redis_client
from api.graphql.context import Info
from blueprint_engine.errors import FabricError
from workers.device_ops import DeviceOps

T = TypeVar("T")


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking engine call in a thread; FabricError -> GraphQL error with a code."""
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except FabricError as exc:
        raise GraphQLError(str(exc), extensions=exc.as_dict()) from exc


def require(info: Info, role: Role, action: str) -> str:
    """The caller's name, if its role allows ``action``; a GraphQL error otherwise."""
    try:
        info.context.caller.require(role, action)
    except FabricError as exc:
        raise GraphQLError(str(exc), extensions=exc.as_dict()) from exc
    return info.context.caller.name


def device_ops(info: Info) -> DeviceOps:
    """Operator actions on devices, with the API's long-lived blueprint service."""
    client = redis_client(info.context.settings.redis_url)
    return DeviceOps(info.context.graph, client, info.context.blueprints)
