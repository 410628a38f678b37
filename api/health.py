"""Health of the services the product stands on: Neo4j, Redis, Celery workers."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import redis

from blueprint_engine.db import Graph
from blueprint_engine.errors import FabricError
from blueprint_engine.settings import Settings


@dataclass(frozen=True)
class Check:
    name: str
    up: bool
    detail: str


def check_neo4j(graph: Graph) -> Check:
    try:
        return Check("neo4j", True, graph.ping())
    except FabricError as exc:
        return Check("neo4j", False, exc.message)


def check_redis(settings: Settings) -> Check:
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
        return Check("redis", True, f"{settings.redis_url} answers PING")
    except redis.RedisError as exc:
        return Check("redis", False, f"Redis at {settings.redis_url} is unreachable: {exc}")
    finally:
        client.close()


def check_workers(settings: Settings) -> Check:
    from workers.app import create_celery

    celery = create_celery(settings)
    try:
        replies = celery.control.ping(timeout=1.0)
    except Exception as exc:  # kombu raises many kinds when the broker is down
        return Check("workers", False, f"cannot ask workers through the broker: {exc}")
    finally:
        celery.close()
    names = sorted(name for reply in replies or [] for name in reply)
    if not names:
        return Check("workers", False, "no Celery worker answered within 1 s (start: make run)")
    return Check("workers", True, ", ".join(names))


def health(graph: Graph, settings: Settings) -> dict[str, object]:
    redis_check = check_redis(settings)
    checks = [check_neo4j(graph), redis_check]
    if redis_check.up:
        checks.append(check_workers(settings))
    else:
        checks.append(Check("workers", False, "unknown: the broker (Redis) is down"))
    return {"ok": all(c.up for c in checks), "checks": [asdict(c) for c in checks]}
