"""REST routes: the read-only Cypher endpoint (and, later, pools and devices)."""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.auth import Caller, Role, caller_from_header
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


def rest_routes(graph: Graph, settings: Settings, tokens: dict[str, Caller]) -> list[Route]:
    async def cypher(request: Request) -> JSONResponse:
        """Read-only Cypher: runs in a READ-mode transaction, so the server refuses writes."""
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

    return [Route("/cypher", cypher, methods=["POST"])]
