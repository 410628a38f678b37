"""REST routes: resource pools, the design catalogue, probes (OpenAPI documented).

The read-only Cypher route lives in ``api.cypher``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.schemas import SchemaGenerator

from api.auth import Caller, Role, caller_from_header
from api.bodies import parse_json_object
from api.health import WorkerPinger
from api.rest_agents import agent_routes
from api.rest_pools import worker_pool_routes
from api.rest_probes import probe_routes
from api.rest_virtual import virtual_routes
from api.rest_ztp import ztp_routes
from blueprint_engine import reads
from blueprint_engine.blueprints import DEFAULT_CATALOGUE
from blueprint_engine.catalogue.entries import load_catalogue
from blueprint_engine.catalogue.store import CatalogueCache, catalogue_kind
from blueprint_engine.design import store
from blueprint_engine.errors import NotFoundError, ValidationError
from blueprint_engine.graph.db import Graph
from blueprint_engine.resources import pools as pools_engine
from blueprint_engine.resources.allocation import Policy
from blueprint_engine.settings import Settings


async def json_body(request: Request) -> dict[str, Any]:
    """The body as a JSON object (NaN, huge numbers and deep nesting refused)."""
    return parse_json_object(await request.body())


POLICIES = ", ".join(policy.value for policy in Policy)
SCHEMAS = SchemaGenerator(
    {"openapi": "3.0.0", "info": {"title": "Fabricgraph REST API", "version": "0.1.0"}}
)


def with_path_parameters(doc: dict[str, Any]) -> dict[str, Any]:
    """Declare every ``{name}`` of a path as a required string path parameter of each of
    its operations (Starlette's generator leaves them out)."""
    for path, operations in doc.get("paths", {}).items():
        names = re.findall(r"{(\w+)}", path)
        for operation in operations.values():
            declared = {p.get("name") for p in operation.get("parameters", [])}
            operation["parameters"] = [
                *(
                    {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                    for n in names
                    if n not in declared
                ),
                *operation.get("parameters", []),
            ]
    return doc


def rest_routes(
    graph: Graph,
    settings: Settings,
    tokens: dict[str, Caller],
    catalogues: CatalogueCache | None = None,
    pinger: WorkerPinger | None = None,
) -> list[Route]:
    def caller(request: Request, role: Role, action: str) -> str:
        who = caller_from_header(request.headers.get("authorization"), tokens)
        who.require(role, action)
        return who.name

    catalogue_routes = _catalogue_routes(
        catalogues or CatalogueCache(graph, load_catalogue(DEFAULT_CATALOGUE)), caller
    )

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
            page = reads.page(
                int(request.query_params.get("limit", 100)),
                int(request.query_params.get("offset", 0)),
            )
        except ValueError as exc:
            raise ValidationError("limit and offset must be integers", allowed="0..10000") from exc
        rows = await run_in_threadpool(
            reads.rows, graph, reads.RESOURCES, bp=bp, pool=pool, owner=None, **page
        )
        return JSONResponse(rows)

    async def put_pool(request: Request) -> JSONResponse:
        """
        summary: Change a pool's ranges and/or allocation policy (an IPAM owning it).
        description: >
          Both change atomically. Ranges are refused if an allocated value would fall
          outside them. The policy decides which free value the next allocation takes --
          lowest_free takes the lowest; sequential_from_last takes the next one after the
          last value handed out, so freed values are reused late -- and never moves values
          already allocated.
        requestBody:
          content:
            application/json:
              schema:
                type: object
                properties:
                  ranges: {type: array, items: {type: string}}
                  policy: {type: string, enum: [lowest_free, sequential_from_last]}
        responses:
          200: {description: "the pool: id, kind, ranges, prefix_len, policy, used"}
          400: {description: "malformed ranges, allocated values outside them, unknown policy"}
          403: {description: "caller is not an operator"}
          404: {description: "unknown blueprint or pool"}
        """
        caller(request, Role.OPERATOR, "change a resource pool")
        body = await json_body(request)
        ranges, policy = body.get("ranges"), body.get("policy")
        if ranges is not None and (
            not isinstance(ranges, list) or not all(isinstance(r, str) for r in ranges)
        ):
            raise ValidationError(
                "'ranges' must be a list of strings",
                allowed='e.g. ["10.0.0.0/24"] or ["65100-65199"]',
            )
        if policy is not None and not isinstance(policy, str):
            raise ValidationError("'policy' must be a string", allowed=POLICIES)
        bp, pool = request.path_params["bp"], request.path_params["pool"]
        row = await run_in_threadpool(
            lambda: pools_engine.update_pool(graph, bp, pool, ranges=ranges, policy=policy)
        )
        return JSONResponse(row)

    async def openapi(request: Request) -> Response:
        return JSONResponse(with_path_parameters(SCHEMAS.get_schema(routes=request.app.routes)))

    return [
        Route("/blueprints", blueprints, methods=["GET"]),
        Route("/blueprints/{bp}/pools", pools, methods=["GET"]),
        Route("/blueprints/{bp}/pools/{pool}", put_pool, methods=["PUT"]),
        Route("/blueprints/{bp}/pools/{pool}/resources", pool_resources, methods=["GET"]),
        *catalogue_routes,
        *worker_pool_routes(graph, caller, json_body, pinger),
        *agent_routes(graph, settings.celery_queue, caller, json_body),
        *ztp_routes(graph, settings.celery_queue),
        *virtual_routes(graph, settings, caller, json_body),
        *probe_routes(graph, settings, caller, json_body),
        Route("/openapi.json", openapi, methods=["GET"], include_in_schema=False),
    ]


def _catalogue_routes(
    catalogues: CatalogueCache, caller: Callable[[Request, Role, str], str]
) -> list[Route]:
    async def entries(request: Request) -> JSONResponse:
        """
        summary: Catalogue entries (built-in fixtures and created ones), by kind then name.
        description: >
          Each entry has kind, name, source (fixture or created), location (file and line
          of a fixture), created_by, created_via, created_at and definition (as in YAML).
        parameters:
          - {name: source, in: query, schema: {type: string, enum: [fixture, created]}}
        responses:
          200: {description: "entries"}
          404: {description: "unknown kind (the allowed kinds are listed)"}
        """
        kind = request.path_params.get("kind")
        rows = await run_in_threadpool(catalogues.entries, kind)
        source = request.query_params.get("source")
        return JSONResponse([r for r in rows if source is None or r["source"] == source])

    async def entry(request: Request) -> JSONResponse:
        """
        summary: One catalogue entry by kind and name.
        responses:
          200: {description: "the entry"}
          404: {description: "unknown kind or name (the known names are listed)"}
        """
        kind, name = request.path_params["kind"], request.path_params["name"]
        rows = await run_in_threadpool(catalogues.entries, kind)
        for row in rows:
            if row["name"] == name:
                return JSONResponse(row)
        raise NotFoundError(f"no {kind} entry named {name!r}", allowed=[r["name"] for r in rows])

    async def create(request: Request) -> JSONResponse:
        """
        summary: Create a catalogue entry (operator).
        description: >
          The body is one entry exactly as a YAML list item of that kind's section in
          fixtures/catalogue/. It gets the checks a catalogue file gets (fields, references
          to other entries, port counts, speeds); names are unique per kind across fixtures
          and created entries. Created entries cannot be changed; one that nothing uses
          can be deleted.
        requestBody:
          content:
            application/json:
              schema: {type: object, properties: {name: {type: string}}, required: [name]}
        responses:
          201: {description: "the created entry, as listed"}
          400: {description: "invalid entry: error.problems lists field and message each"}
          403: {description: "caller is not an operator"}
          404: {description: "unknown kind"}
          409: {description: "an entry of that kind and name exists"}
        """
        author = caller(request, Role.OPERATOR, "create a catalogue entry")
        kind = catalogue_kind(request.path_params["kind"])
        body = await json_body(request)
        created = await run_in_threadpool(
            lambda: catalogues.create(kind, [body], author=author, via="rest")
        )
        return JSONResponse(created[0], status_code=201)

    async def delete(request: Request) -> JSONResponse:
        """
        summary: Delete a created catalogue entry that nothing uses (operator).
        description: >
          Refused (409), naming them, when another entry refers to it or a blueprint uses
          it (its template, racks, systems or staged add_rack edits); built-in (fixture)
          entries cannot be deleted (409).
        parameters:
          - {name: kind, in: path, required: true, schema: {type: string,
             enum: [logical_devices, device_profiles, interface_maps, rack_types, templates,
                    configlets]}}
          - {name: name, in: path, required: true, schema: {type: string}}
        responses:
          200: {description: "the deleted entry, as it was listed"}
          403: {description: "caller is not an operator"}
          404: {description: "unknown kind, or no created entry of that name"}
          409: {description: "a fixture entry, or in use (the users are named)"}
        """
        caller(request, Role.OPERATOR, "delete a catalogue entry")
        kind, name = request.path_params["kind"], request.path_params["name"]
        return JSONResponse(await run_in_threadpool(catalogues.delete, kind, name))

    return [
        Route("/catalogue", entries, methods=["GET"]),
        Route("/catalogue/{kind}", entries, methods=["GET"]),
        Route("/catalogue/{kind}", create, methods=["POST"]),
        Route("/catalogue/{kind}/{name}", entry, methods=["GET"]),
        Route("/catalogue/{kind}/{name}", delete, methods=["DELETE"]),
    ]
