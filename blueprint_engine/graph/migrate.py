"""Apply ``graph_schema.MIGRATIONS`` to a graph, each exactly once, in order."""

from __future__ import annotations

from blueprint_engine.graph.db import Graph, Query
from graph_schema import GRAPH_VERSION, MIGRATIONS

APPLIED = Query(
    "migrations.applied",
    "MATCH (m:GraphMeta {name: 'schema'}) RETURN coalesce(m.applied, []) AS applied",
)
RECORD = Query(
    "migrations.record",
    """
    MERGE (m:GraphMeta {name: 'schema'})
    WITH m, coalesce(m.applied, []) AS applied
    SET m.applied = CASE WHEN $number IN applied THEN applied ELSE applied + $number END,
        m.version = $number,
        m.updated_at = datetime()
    """,
)


def applied_migrations(graph: Graph) -> list[int]:
    rows = graph.read(APPLIED)
    return [int(n) for n in rows[0]["applied"]] if rows else []


def migrate(graph: Graph) -> list[int]:
    """Apply what is missing; return the numbers applied now (empty when up to date).

    Several processes may start together (API replicas, worker pools): the statements are
    idempotent (``IF NOT EXISTS``, ``MERGE``) and a number is recorded once however many
    of them applied it."""
    done = set(applied_migrations(graph))
    applied_now: list[int] = []
    for migration in MIGRATIONS:
        if migration.number in done:
            continue
        for statement in migration.statements:
            # schema statements cannot share a transaction with data writes
            graph.write(Query(f"migration.{migration.number}", statement))
        graph.write(RECORD, number=migration.number)
        applied_now.append(migration.number)
    return applied_now


def graph_version(graph: Graph) -> int:
    applied = applied_migrations(graph)
    return max(applied) if applied else 0


__all__ = ["GRAPH_VERSION", "applied_migrations", "graph_version", "migrate"]
