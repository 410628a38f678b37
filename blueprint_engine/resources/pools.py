"""Resource pools managed from outside (an IPAM): read them, change ranges and policy.

A pool's ranges may change only if every value already allocated from it stays
inside the new ranges; otherwise nothing changes and the error lists the values.
A pool's allocation policy (``allocation.Policy``) decides which free value the next
allocation takes; changing it never moves a value already allocated.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import neo4j

from blueprint_engine.design.model import Pool
from blueprint_engine.errors import NotFoundError, ValidationError
from blueprint_engine.graph.db import Graph, Query, Row
from blueprint_engine.resources.allocation import Policy, parse_value, pool_spans

POOL = Query(
    "pools.get",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_POOL]->(p:Pool {id: $pool})
    OPTIONAL MATCH (p)-[:ALLOCATED]->(r:Resource)
    RETURN p {.id, .kind, .ranges, .prefix_len, .policy} AS pool, collect(r.value) AS used
    """,
)
UPDATE = Query(
    "pools.update",
    """
    MATCH (p:Pool {uid: $bp + '/' + $pool})
    SET p.ranges = $ranges, p.policy = $policy
    RETURN p.id AS id
    """,
)


def _contains(pool: Pool, value: str) -> bool:
    number = parse_value(pool, value)
    return any(number in span for span in pool_spans(pool))


def check_ranges(pool: Pool, ranges: list[str], used: list[str]) -> Pool:
    """The pool with ``ranges``, if they are well formed and hold every used value (pure)."""
    candidate = replace(pool, ranges=tuple(ranges))
    try:
        pool_spans(candidate)
    except ValueError as exc:
        raise ValidationError(f"invalid ranges for pool {pool.id}: {exc}") from exc
    outside = sorted(v for v in used if not _contains(candidate, v))
    if outside:
        shown = ", ".join(outside[:10]) + (" ..." if len(outside) > 10 else "")
        raise ValidationError(
            f"pool {pool.id}: {len(outside)} allocated value(s) would fall outside the new "
            f"ranges: {shown}",
            allowed="ranges that contain every allocated value (release intent first)",
        )
    return candidate


def get_pool(graph: Graph, bp: str, pool_id: str, tx: Any = None) -> tuple[Pool, list[str]]:
    rows = graph.run(tx, POOL, bp=bp, pool=pool_id) if tx else graph.read(POOL, bp=bp, pool=pool_id)
    if not rows or rows[0]["pool"] is None:
        raise NotFoundError(f"no pool {pool_id!r} in blueprint {bp!r}")
    p = rows[0]["pool"]
    pool = Pool(p["id"], p["kind"], tuple(p["ranges"]), p.get("prefix_len"), p["policy"])
    return pool, [str(v) for v in rows[0]["used"]]


def check_policy(pool: Pool, policy: str) -> Pool:
    """The pool with allocation ``policy``, if it is a known one (pure)."""
    if policy not in {p.value for p in Policy}:
        raise ValidationError(
            f"unknown allocation policy {policy!r} for pool {pool.id}",
            allowed=", ".join(p.value for p in Policy),
        )
    return replace(pool, policy=policy)


def update_pool(
    graph: Graph,
    bp: str,
    pool_id: str,
    *,
    ranges: list[str] | None = None,
    policy: str | None = None,
) -> Row:
    """Change a pool's ranges and/or policy atomically (checked in the same transaction)."""
    if ranges is None and policy is None:
        raise ValidationError("nothing to change", allowed="'ranges' and/or 'policy'")

    def work(tx: neo4j.ManagedTransaction) -> Row:
        pool, used = get_pool(graph, bp, pool_id, tx)
        if ranges is not None:
            pool = check_ranges(pool, ranges, used)
        if policy is not None:
            pool = check_policy(pool, policy)
        graph.run(tx, UPDATE, bp=bp, pool=pool_id, ranges=list(pool.ranges), policy=pool.policy)
        return {
            "id": pool.id,
            "kind": pool.kind,
            "ranges": list(pool.ranges),
            "prefix_len": pool.prefix_len,
            "policy": pool.policy,
            "used": len(used),
        }

    return graph.write_tx(work)


def set_ranges(graph: Graph, bp: str, pool_id: str, ranges: list[str]) -> Row:
    """Replace a pool's ranges atomically (checked against its allocations in the same tx)."""
    return update_pool(graph, bp, pool_id, ranges=ranges)
