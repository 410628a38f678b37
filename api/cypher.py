"""The exploration endpoint: caller-supplied Cypher, safe by construction.

Neo4j Community has no roles, so a READ session alone still lets a statement read
other clients' queries, terminate transactions, call administration procedures or
fetch URLs with LOAD CSV. Each statement therefore passes three gates before it runs:

1. text: at most ``cypher_max_query_chars``; no expression that loops inside one row
   over a list of unbounded size (``reduce``, list comprehensions and quantifiers, and
   ``range`` wider than ``MAX_RANGE``): the server checks its time limit between rows,
   never inside one expression, so such a loop would outlive any timeout;
2. plan: ``EXPLAIN`` must give query type ``r`` and only query operators: no SHOW or
   TERMINATE command, no administration command, no LOAD CSV, and procedure calls only
   from ``ALLOWED_PROCEDURES``;
3. run: a READ transaction with a server-side timeout (the driver sends it; the
   server's ``db.transaction.timeout`` is the backstop), rows capped.

It uses its own driver, so an external Enterprise server or Aura can give it a user with
the ``reader`` role (``FG_CYPHER_AUTH``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import neo4j
from neo4j import GraphDatabase
from neo4j import exceptions as neo4j_errors
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.auth import Caller, caller_from_header
from api.bodies import parse_json_object
from blueprint_engine.errors import ValidationError
from blueprint_engine.graph.db import DRIVER_ERRORS, translate
from blueprint_engine.readonly import (
    check_plan,
    check_text,
    client_error,
)
from blueprint_engine.settings import Settings


class Explorer:
    """Runs exploration Cypher through its own driver (its own, possibly reader, user)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        user, _, password = (settings.cypher_auth or settings.neo4j_auth).partition("/")
        self._driver = GraphDatabase.driver(
            settings.neo4j_uri,
            auth=(user, password),
            connection_timeout=5.0,
            connection_acquisition_timeout=5.0,
            max_connection_pool_size=16,
            notifications_min_severity="OFF",
        )

    def close(self) -> None:
        self._driver.close()

    def _session(self) -> neo4j.Session:
        return self._driver.session(
            database=self.settings.neo4j_database, default_access_mode=neo4j.READ_ACCESS
        )

    def plan(self, text: str, params: Mapping[str, Any]) -> None:
        timeout = self.settings.cypher_timeout_s
        with self._session() as session:
            query = neo4j.Query("EXPLAIN " + text, timeout=timeout)
            summary = session.run(query, dict(params)).consume()
        check_plan(summary.query_type, summary.plan)

    def run(self, text: str, params: Mapping[str, Any]) -> tuple[list[str], list[list[Any]], bool]:
        """All three gates, then the rows (at most ``cypher_max_rows``)."""
        check_text(text, self.settings.cypher_max_query_chars)
        try:
            self.plan(text, dict(params))
            return self._rows(text, dict(params))
        except neo4j_errors.ClientError as exc:
            raise client_error(exc) from exc
        except DRIVER_ERRORS as exc:
            raise translate(exc) from exc

    def _rows(self, text: str, params: dict[str, Any]) -> tuple[list[str], list[list[Any]], bool]:
        max_rows, timeout = self.settings.cypher_max_rows, self.settings.cypher_timeout_s
        with self._session() as session:
            result = session.run(neo4j.Query(text, timeout=timeout), params)
            keys = list(result.keys())
            rows: list[list[Any]] = []
            truncated = False
            for record in result:
                if len(rows) >= max_rows:
                    truncated = True
                    break
                data = record.data()  # nodes and relationships become property maps
                rows.append([data[key] for key in keys])
            return keys, rows, truncated


def cypher_route(explorer: Explorer, tokens: dict[str, Caller]) -> Route:
    async def cypher(request: Request) -> JSONResponse:
        """
        summary: Read-only Cypher for exploration (viewer token; planned before it runs).
        description: >
          Only read queries run: each statement is planned with EXPLAIN first and refused
          unless it is of query type r, with no SHOW/TERMINATE/administration command, no
          LOAD CSV and procedure calls only to db.labels, db.relationshipTypes,
          db.propertyKeys and db.schema.visualization. The text is capped, the server stops
          a statement at the time limit, rows are capped.
        requestBody:
          required: true
          content:
            application/json:
              schema:
                type: object
                properties: {query: {type: string}, params: {type: object}}
                required: [query]
        responses:
          200: {description: "columns, rows, truncated"}
          400: {description: "not JSON, empty or too long a query, or not a read query"}
          401: {description: "no or an unknown token"}
          415: {description: "the body is not declared application/json"}
        """
        caller_from_header(request.headers.get("authorization"), tokens).require_token("run Cypher")
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            exc = ValidationError(
                f"the body is declared {media or 'without a Content-Type'}",
                allowed="Content-Type: application/json",
            )
            return JSONResponse({"error": exc.as_dict()}, status_code=415)
        body = parse_json_object(await request.body())
        query, params = body.get("query"), body.get("params", {})
        if not isinstance(query, str):
            raise ValidationError("'query' is missing or not a string", allowed="a Cypher string")
        if not isinstance(params, dict):
            raise ValidationError("'params' is not an object", allowed="a JSON object")
        keys, rows, truncated = await run_in_threadpool(explorer.run, query, params)
        payload = {"columns": keys, "rows": rows, "truncated": truncated}
        return JSONResponse(json.loads(json.dumps(payload, default=str), parse_constant=str))

    return Route("/cypher", cypher, methods=["POST"])
