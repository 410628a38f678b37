"""GraphQL: worker pools, their devices and liveness; moving a device between pools."""

from __future__ import annotations

from typing import Any

import strawberry

from api.auth import Role
from api.graphql.common import call, require
from api.graphql.context import Info
from api.worker_pools import pools_report
from blueprint_engine.devices.worker_pools import WorkerPools


@strawberry.type
class PlacedDevice:
    serial: str
    state: str | None
    deploy_mode: str | None
    liveness: str | None
    system: str | None
    blueprint: str | None


@strawberry.type
class WorkerPool:
    name: str
    queue: str
    capacity: int
    load: float = strawberry.field(description="devices placed / capacity")
    liveness: str = strawberry.field(
        description="up (a worker answered now), down (none did; some did before), never_seen"
    )
    workers: list[str] = strawberry.field(description="workers consuming the queue now")
    checked_liveness: str = strawberry.field(description="the last pool check's verdict")
    checked_at: str | None
    last_alive_at: str | None
    devices: list[PlacedDevice]

    @staticmethod
    def of(row: dict[str, Any]) -> WorkerPool:
        return WorkerPool(
            name=row["name"],
            queue=row["queue"],
            capacity=int(row["capacity"]),
            load=float(row["load"]),
            liveness=row["liveness"],
            workers=list(row["workers"]),
            checked_liveness=row["checked_liveness"],
            checked_at=row["checked_at"],
            last_alive_at=row["last_alive_at"],
            devices=[PlacedDevice(**d) for d in row["devices"]],
        )


@strawberry.type
class WorkerPools_:
    pools: list[WorkerPool]
    unplaced: list[str] = strawberry.field(description="serials placed on no pool")
    asked: bool = strawberry.field(description="whether the workers answered the broadcast")
    error: str | None


@strawberry.type
class Placement:
    serial: str
    pool: str
    queue: str
    previous: str | None


@strawberry.type
class PoolQuery:
    @strawberry.field(
        name="workerPools",
        description="worker pools with their devices, load and liveness (workers asked now, "
        "bounded at 1 s)",
    )
    async def worker_pools(self, info: Info) -> WorkerPools_:
        report = await call(pools_report, info.context.graph, info.context.health.pinger)
        return WorkerPools_(
            pools=[WorkerPool.of(p) for p in report["pools"]],
            unplaced=report["unplaced"],
            asked=report["asked"],
            error=report["error"],
        )


@strawberry.type
class PoolMutation:
    @strawberry.mutation(
        description="move a device to another worker pool: its collection and pushes go to "
        "that pool's queue from now on (a push in flight keeps the device's lease)"
    )
    async def move_device(self, info: Info, serial: str, pool: str) -> Placement:
        require(info, Role.OPERATOR, "move a device between worker pools")
        moved = await call(WorkerPools(info.context.graph).move, serial, pool)
        return Placement(
            serial=moved.serial, pool=moved.pool, queue=moved.queue, previous=moved.previous
        )

    @strawberry.mutation(description="create a worker pool (name, Celery queue, capacity)")
    async def create_worker_pool(
        self, info: Info, name: str, queue: str, capacity: int = 300
    ) -> str:
        require(info, Role.OPERATOR, "create a worker pool")
        await call(WorkerPools(info.context.graph).create, name, queue, capacity)
        return name
