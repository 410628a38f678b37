"""Off-box agents over GraphQL: list, create (one or a YAML/CSV file), connect, stop,
delete (the last step of decommissioning). No field ever carries a secret: an agent
holds the name of its credential set only."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.auth import Role
from api.graphql.common import call, require
from api.graphql.context import Info
from workers.agent_ops import AgentOps

MAX_CREATE_WAIT_S = 120.0


@strawberry.type
class Agent:
    name: str
    address: str
    platform: str
    credential: str | None = strawberry.field(description="the credential set's name")
    group: str | None
    profile: str | None
    options: JSON
    status: str = strawberry.field(
        description="pending, registered, unreachable, refused or stopped"
    )
    reason: str | None = strawberry.field(
        description="dns, tcp_refused, auth_failed, timeout, credential_missing, "
        "credential_unsafe, driver_unknown, no_profile, host_key_mismatch or error"
    )
    detail: str | None
    serial: str | None = strawberry.field(description="the device it registered")
    checked_at: str | None


def _agent(row: dict[str, Any]) -> Agent:
    fields: dict[str, Any] = {f: row.get(f) for f in Agent.__annotations__}
    return Agent(**fields)


@strawberry.input
class AgentOptions:
    port: int | None = None
    timeout: int | None = None
    transport: str | None = None
    recording: str | None = None


@strawberry.input
class AgentInput:
    name: str
    address: str
    platform: str
    credential: str | None = None
    group: str | None = None
    profile: str | None = None
    options: AgentOptions | None = None


def _mapping(agent: AgentInput) -> dict[str, Any]:
    raw: dict[str, Any] = {
        k: getattr(agent, k)
        for k in ("name", "address", "platform", "credential", "group", "profile")
        if getattr(agent, k) is not None
    }
    if agent.options is not None:
        opts = {k: v for k, v in vars(agent.options).items() if v is not None}
        if opts:
            raw["options"] = opts
    return raw


def _ops(info: Info) -> AgentOps:
    return AgentOps(info.context.graph, info.context.settings.celery_queue)


def _wait(wait_s: float) -> float:
    return max(0.0, min(wait_s, MAX_CREATE_WAIT_S))


@strawberry.type
class AgentQuery:
    @strawberry.field(description="off-box agents with their last connection's outcome")
    async def agents(self, info: Info) -> list[Agent]:
        return [_agent(r) for r in await call(_ops(info).list)]

    @strawberry.field(description="one off-box agent by name")
    async def agent(self, info: Info, name: str) -> Agent:
        return _agent(await call(_ops(info).agents.get, name))


@strawberry.type
class AgentMutation:
    @strawberry.mutation(
        description="create off-box agents (all or none) and connect each on the workers; "
        "wait_s (at most 120) waits for their outcomes"
    )
    async def create_agents(
        self, info: Info, agents: list[AgentInput], wait_s: float = 0
    ) -> list[Agent]:
        author = require(info, Role.OPERATOR, "create off-box agents")
        items: list[object] = [_mapping(a) for a in agents]
        rows = await call(_ops(info).create, items, author=author, wait=_wait(wait_s))
        return [_agent(r) for r in rows]

    @strawberry.mutation(description="create off-box agents from a file's text: yaml or csv")
    async def import_agents(
        self, info: Info, text: str, format: str = "yaml", wait_s: float = 0
    ) -> list[Agent]:
        author = require(info, Role.OPERATOR, "create off-box agents")
        ops = _ops(info)
        rows = await call(ops.create_from_file, text, format, author=author, wait=_wait(wait_s))
        return [_agent(r) for r in rows]

    @strawberry.mutation(description="connect (or restart) an agent; a known serial keeps state")
    async def connect_agent(self, info: Info, name: str, wait_s: float = 0) -> Agent:
        require(info, Role.OPERATOR, "connect an off-box agent")
        return _agent(await call(_ops(info).connect, name, wait=_wait(wait_s)))

    @strawberry.mutation(
        description="stop an agent: its device is no longer collected from (decommissioning: "
        "after undeploy and unassign)"
    )
    async def stop_agent(self, info: Info, name: str) -> Agent:
        require(info, Role.OPERATOR, "stop an off-box agent")
        return _agent(await call(_ops(info).stop, name))

    @strawberry.mutation(
        description="delete a stopped agent and decommission its device (the last step)"
    )
    async def delete_agent(self, info: Info, name: str) -> Agent:
        require(info, Role.OPERATOR, "delete an off-box agent")
        return _agent(await call(_ops(info).delete, name))
