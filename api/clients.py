"""Redis clients for the API, every socket bounded in time.

Request-scoped clients time out connects and replies; subscription clients time out
connects only (they wait for messages by design) and ping the server to notice a dead
connection."""

from __future__ import annotations

import redis
import redis.asyncio as aioredis

CONNECT_TIMEOUT_S = 2.0
REPLY_TIMEOUT_S = 10.0


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=REPLY_TIMEOUT_S
    )


def listening_client(url: str) -> aioredis.Redis:
    return aioredis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT_S, health_check_interval=30
    )
