"""REST routes: the read-only Cypher endpoint (and, later, pools and devices)."""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.schemas import SchemaGenerator

from api.auth import Caller, Role, caller_from_header
from blueprint_engine import pools as pools_engine
from blueprint_engine import reads, store
from blueprint_engine.db import Graph
from blueprint_engine.errors import FabricError, ValidationError
from blueprint_engine.settings import Settings


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(
            f"the body is not valid JSON: {exc}", allowed="a JSON object"
        ) from exc
    if not isinstance(body, dict):
        raise ValidationError("the body is not a JSON object", allowed="a JSON object")
    return body


SCHEMAS = SchemaGenerator(
    {"openapi": "3.0.0", "info": {"title": "Fabricgraph REST API", "version": "0.1.0"}}
)


def rest_routes(graph: Graph, settings: Settings, tokens: dict[str, Caller]) -> list[Route]:
    def caller(request: Request, role: Role, action: str) -> str:
        who = caller_from_header(request.headers.get("authorization"), tokens)
        who.require(role, action)
        return who.name

    async def blueprints(request: Request) -> JSONResponse:
        """
        summary: List blueprints.
        responses:
          200: {description: "blueprint names"}
        """
        return JSONResponse(await run_in_threadpool(store.list_blueprints, graph))

    async def pools(request: Request) -> JSONResponse:
        """
        summary: Resource pools of a blueprint with how many values each has allocated.
        responses:
          200: {description: "pools"}
          404: {description: "unknown blueprint"}
        """
        bp = request.path_params["bp"]
        await run_in_threadpool(store.summary, graph, bp)
        rows = await run_in_threadpool(reads.rows, graph, reads.POOLS, bp=bp)
        return JSONResponse(rows)

    async def pool_resources(request: Request) -> JSONResponse:
        """
        summary: Values allocated from one pool (limit/offset pagination).
        parameters:
          - {name: limit, in: query, schema: {type: integer, default: 100}}
          - {name: offset, in: query, schema: {type: integer, default: 0}}
        responses:
          200: {description: "allocations: pool, value, owner"}
        """
        bp, pool = request.path_params["bp"], request.path_params["pool"]
        await run_in_threadpool(pools_engine.get_pool, graph, bp, pool)
        try:
            page = reads.page(int(request.query_params.get("limit", 100)),
                              int(request.query_params.get("offset", 0)))  # fmt: skip
        except ValueError as exc:
            raise ValidationError("limit and offset must be integers", allowed="0..10000") from exc
        rows = await run_in_threadpool(reads.rows, graph, reads.RESOURCES, bp=bp, pool=pool,
                                       owner=None, **page)  # fmt: skip
        return JSONResponse(rows)

    async def put_pool(request: Request) -> JSONResponse:
        """
        summary: Replace a pool's ranges (an IPAM owning the pool); refused if an allocated
          value would fall outside them.
        requestBody:
          content:
            application/json:
              schema: {type: object, properties: {ranges: {type: array, items: {type: string}}}}
        responses:
          200: {description: "the pool with its new ranges"}
          400: {description: "malformed ranges, or allocated values outside them"}
          403: {description: "caller is not an operator"}
        """
        caller(request, Role.OPERATOR, "change a resource pool")
        body = await json_body(request)
        ranges = body.get("ranges")
        if not isinstance(ranges, list) or not all(isinstance(r, str) for r in ranges):
            raise ValidationError("'ranges' must be a list of strings",
                                  allowed='e.g. ["10.0.0.0/24"] or ["65100-65199"]')  # fmt: skip
        bp, pool = request.path_params["bp"], request.path_params["pool"]
        return JSONResponse(await run_in_threadpool(pools_engine.set_ranges, graph, bp, pool,
                                                    ranges))  # fmt: skip

    async def openapi(request: Request) -> Response:
        return JSONResponse(SCHEMAS.get_schema(routes=request.app.routes))

    async def cypher(request: Request) -> JSONResponse:
        """
        summary: Read-only Cypher (READ access mode; the server refuses writes).
        requestBody:
          content:
            application/json:
              schema: {type: object, properties: {query: {type: string}, params: {type: object}}}
        responses:
          200: {description: "columns, rows, truncated"}
          400: {description: "not JSON, empty query, or a write"}
        """
        caller_from_header(request.headers.get("authorization"), tokens).require(
            Role.VIEWER, "run Cypher"
        )
        body = await json_body(request)
        query, params = body.get("query"), body.get("params", {})
        if not isinstance(query, str) or not query.strip():
            raise ValidationError("'query' is missing or empty", allowed="a Cypher string")
        if not isinstance(params, dict):
            raise ValidationError("'params' is not an object", allowed="a JSON object")
        try:
            keys, rows, truncated = await run_in_threadpool(
                graph.run_readonly,
                query,
                params,
                max_rows=settings.cypher_max_rows,
                timeout_s=settings.cypher_timeout_s,
            )
        except FabricError as exc:
            if "AccessMode" in exc.message or "read access mode" in exc.message:
                raise ValidationError(
                    "this endpoint is read-only: the statement tried to write",
                    allowed="MATCH/RETURN queries; use GraphQL mutations to change intent",
                ) from exc
            raise
        payload = {"columns": keys, "rows": rows, "truncated": truncated}
        return JSONResponse(json.loads(json.dumps(payload, default=str)))

    return [
        Route("/cypher", cypher, methods=["POST"]),
        Route("/blueprints", blueprints, methods=["GET"]),
        Route("/blueprints/{bp}/pools", pools, methods=["GET"]),
        Route("/blueprints/{bp}/pools/{pool}", put_pool, methods=["PUT"]),
        Route("/blueprints/{bp}/pools/{pool}/resources", pool_resources, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"], include_in_schema=False),
    ]
