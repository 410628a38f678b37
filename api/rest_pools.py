"""REST for worker pools: list them (devices, load, liveness asked now), create one,
move a device to a pool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.auth import Role
from api.health import WorkerPinger
from api.worker_pools import pools_report
from blueprint_engine.devices.placement import DEFAULT_CAPACITY
from blueprint_engine.devices.worker_pools import WorkerPools
from blueprint_engine.errors import ValidationError
from blueprint_engine.graph.db import Graph


def worker_pool_routes(
    graph: Graph,
    caller: Callable[[Request, Role, str], str],
    body_of: Callable[[Request], Any],
    pinger: WorkerPinger | None,
) -> list[Route]:
    pools = WorkerPools(graph)

    async def listing(request: Request) -> JSONResponse:
        """
        summary: Worker pools with their devices, load and liveness.
        description: >
          Liveness is asked now (one broadcast to the workers, bounded at 1 s): up, down
          (no worker answers, some did before) or never_seen; checked_liveness is the
          last pool check's. Devices placed on no pool are listed under unplaced.
        responses:
          200: {description: "pools, unplaced, asked, error"}
        """
        return JSONResponse(await run_in_threadpool(pools_report, graph, pinger))

    async def create(request: Request) -> JSONResponse:
        """
        summary: Create a worker pool.
        requestBody:
          content:
            application/json:
              schema:
                type: object
                required: [name, queue]
                properties:
                  name: {type: string}
                  queue: {type: string}
                  capacity: {type: integer, minimum: 1, maximum: 100000}
        responses:
          201: {description: "created"}
          400: {description: "a name, queue or capacity not allowed"}
          403: {description: "caller is not an operator"}
          409: {description: "name or queue already used"}
        """
        caller(request, Role.OPERATOR, "create a worker pool")
        body = await body_of(request)
        name, queue = body.get("name"), body.get("queue")
        capacity = body.get("capacity", DEFAULT_CAPACITY)
        if not isinstance(name, str) or not isinstance(queue, str):
            raise ValidationError("'name' and 'queue' must be strings", allowed="pool names")
        await run_in_threadpool(pools.create, name, queue, capacity)
        return JSONResponse({"name": name, "queue": queue, "capacity": capacity}, 201)

    async def move(request: Request) -> JSONResponse:
        """
        summary: Move a device to a worker pool (its collection and pushes follow).
        requestBody:
          content:
            application/json:
              schema:
                type: object
                required: [pool]
                properties:
                  pool: {type: string}
        responses:
          200: {description: "serial, pool, queue, previous"}
          400: {description: "no such pool"}
          403: {description: "caller is not an operator"}
          404: {description: "no such device"}
          409: {description: "already on that pool, or the pool is full"}
        """
        caller(request, Role.OPERATOR, "move a device between worker pools")
        body = await body_of(request)
        pool = body.get("pool")
        if not isinstance(pool, str):
            raise ValidationError("'pool' must be a string", allowed="a worker pool's name")
        moved = await run_in_threadpool(pools.move, request.path_params["serial"], pool)
        return JSONResponse(
            {
                "serial": moved.serial,
                "pool": moved.pool,
                "queue": moved.queue,
                "previous": moved.previous,
            }
        )

    return [
        Route("/worker-pools", listing, methods=["GET"]),
        Route("/worker-pools", create, methods=["POST"]),
        Route("/devices/{serial}/pool", move, methods=["PUT"]),
    ]
