"""The device job wrapper on the real Redis: it owns the lease, the busy case and the
mapping of errors to outcomes."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from blueprint_engine.errors import TransitionError
from blueprint_engine.settings import Settings
from workers.jobs import DeviceJob
from workers.lease import Lease, lease_key
from workers.outcome import Outcome, Status


@pytest.fixture
def redis_client(settings: Settings) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.redis_url)
    yield client
    client.close()


def _serial() -> str:
    return f"TEST-job-{uuid.uuid4().hex[:8]}"


def test_the_work_runs_under_the_lease_and_the_lease_is_released(
    redis_client: redis.Redis,
) -> None:
    serial = _serial()

    def work() -> Outcome:
        assert redis_client.exists(lease_key(serial))  # held while the work runs
        return Outcome(Status.NONE, serial=serial, reason="in sync")

    outcome = DeviceJob(redis_client, serial, "test").handle(work)
    assert (outcome.status, outcome.reason) == (Status.NONE, "in sync")
    assert not redis_client.exists(lease_key(serial))


def test_a_held_lease_makes_the_job_busy_naming_until_when(redis_client: redis.Redis) -> None:
    serial = _serial()
    ran: list[bool] = []

    def work() -> Outcome:
        ran.append(True)
        return Outcome(Status.SUCCEEDED)

    with Lease(redis_client, serial) as held:
        assert held
        outcome = DeviceJob(redis_client, serial, "test", wait_s=0.5).handle(work)
    assert ran == []
    assert outcome.status is Status.BUSY and outcome.reason is not None
    assert re.search(r"until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(waited 0 s\)", outcome.reason)


def test_a_refusal_is_failed_with_its_code_and_anything_else_is_errored(
    redis_client: redis.Redis,
) -> None:
    serial = _serial()

    def refuse() -> Outcome:
        raise TransitionError("no push to a quarantined device", allowed="acknowledge it")

    def crash() -> Outcome:
        raise RuntimeError("driver exploded")

    failed = DeviceJob(redis_client, serial, "test").handle(refuse)
    assert (failed.status, failed.code, failed.error, failed.reason) == (
        Status.FAILED,
        "illegal_transition",
        "no push to a quarantined device",
        "acknowledge it",
    )
    errored = DeviceJob(redis_client, serial, "test").handle(crash)
    assert (errored.status, errored.error) == (Status.ERRORED, "RuntimeError: driver exploded")
    assert not redis_client.exists(lease_key(serial))


def test_a_lease_held_past_its_ttl_is_renewed_until_released(redis_client: redis.Redis) -> None:
    """The renewer thread keeps a long job's lease (it once failed on a thread-local
    token, so a push longer than the ttl lost its lease halfway)."""
    serial = _serial()
    with Lease(redis_client, serial, ttl_s=0.6) as held:
        assert held
        deadline = time.monotonic() + 2.0  # more than three ttls
        while time.monotonic() < deadline:
            assert redis_client.exists(lease_key(serial))
            time.sleep(0.05)
    assert not redis_client.exists(lease_key(serial))
