"""The read-only gates of caller-supplied Cypher (pure): the exploration endpoint's
(``api/cypher.py``) and the scopes of user-defined probes (``telemetry.probes``).

1. text: no expression that loops inside one row over a list of unbounded size
   (``reduce``, list comprehensions and quantifiers, ``range`` wider than
   ``MAX_RANGE``): the server checks its time limit between rows only;
2. plan: ``EXPLAIN`` must give query type ``r`` and only query operators: no SHOW or
   TERMINATE command, no administration command, no LOAD CSV, and procedure calls only
   from ``ALLOWED_PROCEDURES``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from neo4j import exceptions as neo4j_errors

from blueprint_engine.errors import FabricError, ValidationError

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


def client_error(
    exc: neo4j_errors.ClientError, limit: str = "FG_CYPHER_TIMEOUT_S seconds"
) -> FabricError:
    """A client error of the server (syntax, timeout, a write attempted) as a refusal."""
    code = exc.code or ""
    if "TransactionTimedOut" in code or "Terminated" in code:
        return ValidationError(
            f"the query ran past the time limit and was stopped: {exc.message}",
            allowed=f"a query that finishes within {limit}",
        )
    if "AccessMode" in code or "read access mode" in (exc.message or ""):
        return ValidationError(
            "this endpoint is read-only: the statement tried to write",
            allowed=f"{ALLOWED}; use GraphQL mutations to change intent",
        )
    return ValidationError(f"Neo4j refused the query ({code}): {exc.message}", allowed=ALLOWED)
