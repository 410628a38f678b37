"""The API's start-up heap (modules, the GraphQL schema, the catalogue) is frozen out of
Python's cyclic collector, so a full collection walks only what requests allocate
instead of pausing every request in flight while it walks the whole process."""

from __future__ import annotations

import gc

import pytest
from starlette.testclient import TestClient

pytestmark = pytest.mark.integration


def test_the_start_up_heap_is_out_of_the_collectors_sight(client: TestClient) -> None:
    assert client.get("/health/live").status_code == 200  # the app has started
    frozen = gc.get_freeze_count()
    assert frozen > 100_000  # the schema and the modules alone are that many objects
    assert frozen > 10 * len(gc.get_objects(generation=2))
