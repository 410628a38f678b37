"""Times in the reconciler's messages are ISO 8601 UTC, never epoch seconds."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from blueprint_engine.devices.reconcile import DeployFailure, decide, iso_utc, manual_full_push
from blueprint_engine.errors import ConflictError
from tests.unit.lifecycle.snapshots import NOW, deployed

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
EPOCH = re.compile(r"\b\d{10}\b")


def test_iso_utc_is_the_utc_second() -> None:
    assert iso_utc(0) == "1970-01-01T00:00:00Z"
    assert iso_utc(1_764_619_200.9) == "2025-12-01T20:00:00Z"


def test_a_held_lease_names_until_when_in_iso_8601() -> None:
    held = replace(deployed("sn-1", "sha-new", "sha-old"), lease_expires_at=NOW + 30)
    reason = decide(held).reason
    assert ISO.search(reason) and not EPOCH.search(reason), reason
    with pytest.raises(ConflictError) as refused:
        manual_full_push(held, confirm=True)
    assert ISO.search(refused.value.message) and not EPOCH.search(refused.value.message)


def test_a_failure_backing_off_names_its_retry_time_in_iso_8601() -> None:
    device = deployed("sn-2", "sha-new", "sha-old")
    failure = DeployFailure("sha-new", failed_at=NOW - 5, attempts=2, retry_after=NOW + 55)
    reason = decide(replace(device, failure=failure)).reason
    assert f"retry at {iso_utc(NOW + 55)}" in reason and not EPOCH.search(reason), reason
