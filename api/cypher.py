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
import re
from collections.abc import Iterator, Mapping
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
from blueprint_engine.errors import FabricError, ValidationError
from blueprint_engine.graph.db import DRIVER_ERRORS, translate
from blueprint_engine.settings import Settings

ALLOWED_PROCEDURES = (
    "db.labels",
    "db.relationshipTypes",
    "db.propertyKeys",
    "db.schema.visualization",
)
MAX_RANGE = 100_000  # the widest range() a statement may build
REFUSED_OPERATORS = {
    "LoadCSV": "LOAD CSV",
    "AdministrationCommand": "administration commands (users, roles, databases)",
}
REFUSED_PREFIXES = {"Show": "SHOW commands", "Terminate": "TERMINATE commands"}
ALLOWED = "MATCH/OPTIONAL MATCH/WITH/UNWIND/RETURN read queries; CALL only " + ", ".join(
    f"{p}()" for p in ALLOWED_PROCEDURES
)

# string literals, backtick identifiers and comments: blanked before the text gate
_OPAQUE = re.compile(
    r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.DOTALL
)
_LOOPS = [
    (re.compile(r"\breduce\s*\(", re.I), "reduce()"),
    (re.compile(r"\b(?:all|any|none|single)\s*\(\s*\w+\s+IN\b", re.I), "all/any/none/single()"),
    (re.compile(r"\[\s*\w+\s+IN\b", re.I), "list comprehensions [x IN list ...]"),
]
_RANGE = re.compile(r"\brange\s*\(([^()]*)\)", re.I)
_INT = re.compile(r"^\s*-?\d{1,12}\s*$")


def _blank(text: str) -> str:
    blanks = {"/": " ", "`": "x"}  # comments vanish, identifiers stay words, strings ''
    return _OPAQUE.sub(lambda m: blanks.get(m.group(0)[0], "''"), text)


def check_text(text: str, max_chars: int) -> None:
    """The text gate (pure): size, then loops the server could not interrupt."""
    if not text.strip():
        raise ValidationError("'query' is missing or empty", allowed="a Cypher string")
    if len(text) > max_chars:
        raise ValidationError(
            f"the query is {len(text)} characters long", allowed=f"at most {max_chars} characters"
        )
    bare = _blank(text)
    for pattern, name in _LOOPS:
        if pattern.search(bare):
            raise ValidationError(
                f"the query uses {name}, which loops inside one row beyond the time limit",
                allowed=f"{ALLOWED}; range() with literal bounds at most {MAX_RANGE} apart",
            )
    for match in _RANGE.finditer(bare):
        bounds = match.group(1).split(",")
        if len(bounds) not in (2, 3) or not all(_INT.match(b) for b in bounds):
            raise ValidationError(
                f"range({match.group(1).strip()}) has bounds that are not integer literals",
                allowed=f"range(a, b) with integer literals at most {MAX_RANGE} apart",
            )
        lo, hi = int(bounds[0]), int(bounds[1])
        if abs(hi - lo) > MAX_RANGE:
            raise ValidationError(
                f"range({lo}, {hi}) builds {abs(hi - lo) + 1} values",
                allowed=f"range(a, b) with integer literals at most {MAX_RANGE} apart",
            )


def _operators(plan: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    stack = [plan]
    while stack:
        node = stack.pop()
        args = node.get("args") or node.get("arguments") or {}
        yield str(node.get("operatorType", "")).split("@")[0], str(args.get("Details", ""))
        stack.extend(node.get("children", []))


def check_plan(query_type: str | None, plan: Mapping[str, Any] | None) -> None:
    """The plan gate (pure): query type ``r`` and only allowed operators."""
    for operator, details in _operators(plan or {}):
        if operator in REFUSED_OPERATORS:
            what = REFUSED_OPERATORS[operator]
            raise ValidationError(f"this endpoint does not run {what}", allowed=ALLOWED)
        for prefix, what in REFUSED_PREFIXES.items():
            if operator.startswith(prefix):
                raise ValidationError(
                    f"this endpoint does not run {what} ({operator})", allowed=ALLOWED
                )
        if operator == "ProcedureCall":
            name = details.split("(")[0].strip()
            if name not in ALLOWED_PROCEDURES:
                raise ValidationError(
                    f"this endpoint does not call the procedure {name}", allowed=ALLOWED
                )
    if query_type != "r":
        raise ValidationError(
            f"this endpoint is read-only: the statement is of type {query_type!r}",
            allowed=f"{ALLOWED}; use GraphQL mutations to change intent",
        )


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
            raise _client_error(exc) from exc
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


def _client_error(exc: neo4j_errors.ClientError) -> FabricError:
    code = exc.code or ""
    if "TransactionTimedOut" in code or "Terminated" in code:
        return ValidationError(
            f"the query ran past the time limit and was stopped: {exc.message}",
            allowed="a query that finishes within FG_CYPHER_TIMEOUT_S seconds",
        )
    if "AccessMode" in code or "read access mode" in (exc.message or ""):
        return ValidationError(
            "this endpoint is read-only: the statement tried to write",
            allowed=f"{ALLOWED}; use GraphQL mutations to change intent",
        )
    return ValidationError(f"Neo4j refused the query ({code}): {exc.message}", allowed=ALLOWED)


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
