"""REST for probes: list a blueprint's probes, create one, delete one (OpenAPI documented)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api import probes
from api.auth import Role
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import Settings


def probe_routes(
    graph: Graph,
    settings: Settings,
    caller: Callable[[Request, Role, str], str],
    body_of: Callable[[Request], Any],
) -> list[Route]:
    async def listing(request: Request) -> JSONResponse:
        """
        summary: The blueprint's probes (the predefined ones first), with their definitions.
        description: >
          Each probe has name, scope, kind, field, processors, anomaly {type, severity},
          description, predefined, subjects (intent nodes its scope selects), raised (its
          anomalies raised now), created_by and created_at.
        responses:
          200: {description: "probes"}
          404: {description: "no such blueprint"}
        """
        bp = request.path_params["bp"]
        return JSONResponse(await run_in_threadpool(probes.listing, graph, bp))

    async def create(request: Request) -> JSONResponse:
        """
        summary: Create a user-defined probe.
        description: >
          scope is read-only Cypher over intent with the parameter $bp, returning the ids
          of the kind's intent nodes AS subject (checked like /api/cypher, at most 10,000
          subjects); processors is one reducer (current; rate, min, max, average,
          state_changes with window_s 1..3600) then 1 to 3 comparisons (threshold
          {op, value}; property {op, property, default}); anomaly.type
          [a-z][a-z0-9_]{0,62}, severity info|warning|critical. At most 64 user probes
          per blueprint.
        requestBody:
          content:
            application/json:
              schema:
                type: object
                required: [name, scope, kind, field, processors, anomaly]
                properties:
                  name: {type: string, pattern: "^[a-z0-9][a-z0-9._-]{0,62}$"}
                  scope: {type: string, maxLength: 4000}
                  kind: {type: string}
                  field: {type: string}
                  processors:
                    type: array
                    minItems: 2
                    maxItems: 4
                    items: {type: object}
                  anomaly:
                    type: object
                    required: [type]
                    properties:
                      type: {type: string}
                      severity: {type: string, enum: [info, warning, critical]}
                  description: {type: string, maxLength: 256}
        responses:
          201: {description: "the probe"}
          400: {description: "a part of the definition not allowed (named, with what is)"}
          401: {description: "no token"}
          403: {description: "caller is not an operator"}
          404: {description: "no such blueprint"}
          409: {description: "a probe of that name exists"}
        """
        author = caller(request, Role.OPERATOR, "create a probe")
        body = await body_of(request)
        bp = request.path_params["bp"]
        row = await run_in_threadpool(probes.create, graph, bp, body, author)
        return JSONResponse(row, 201)

    async def delete(request: Request) -> JSONResponse:
        """
        summary: Delete a user-defined probe; its raised anomalies are cleared.
        responses:
          200: {description: "blueprint, name, anomalies_cleared"}
          401: {description: "no token"}
          403: {description: "caller is not an operator"}
          404: {description: "no such blueprint or probe (the user probes are named)"}
          409: {description: "a predefined probe"}
        """
        caller(request, Role.OPERATOR, "delete a probe")
        bp, name = request.path_params["bp"], request.path_params["name"]
        out = await run_in_threadpool(probes.delete, graph, settings.redis_url, bp, name)
        return JSONResponse(out)

    return [
        Route("/blueprints/{bp}/probes", listing, methods=["GET"]),
        Route("/blueprints/{bp}/probes", create, methods=["POST"]),
        Route("/blueprints/{bp}/probes/{name}", delete, methods=["DELETE"]),
    ]
