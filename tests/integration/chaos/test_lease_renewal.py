"""The per-device deployment lease on the real Redis: renewed while held, so a push
longer than the lease's time to live keeps its device (two workers never deploy one
device at once), and released at the end."""

from __future__ import annotations

import time
import uuid

import pytest
import redis

from blueprint_engine.settings import Settings
from workers.lease import Lease, lease_key

pytestmark = pytest.mark.integration


def test_a_lease_held_longer_than_its_ttl_is_renewed_and_refuses_a_second_holder(
    settings: Settings,
) -> None:
    client = redis.Redis.from_url(settings.redis_url)
    serial = f"T-lease-{uuid.uuid4().hex[:6]}"
    ttl = 0.9
    with Lease(client, serial, ttl_s=ttl) as held:
        assert held
        deadline = time.monotonic() + 3 * ttl  # three lifetimes: only renewals keep it
        while time.monotonic() < deadline:
            assert client.exists(lease_key(serial)), "the lease expired while held"
            with Lease(client, serial, ttl_s=ttl) as second:
                assert not second
            time.sleep(0.05)
    assert not client.exists(lease_key(serial))
    with Lease(client, serial, ttl_s=ttl) as again:
        assert again
