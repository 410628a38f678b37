"""Admission on the served API: with one request running and no room to wait, the next
is refused at once with 429 ``busy`` and ``Retry-After``, while liveness and readiness
still answer; once the running one is done, requests are served again."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.api.conftest import serving
from tests.integration.api.test_cypher_safety import ROW_RUNAWAY, VIEWER

pytestmark = pytest.mark.integration

ONE_AT_A_TIME = {"FG_CYPHER_TIMEOUT_S": "5", "FG_API_CONCURRENCY": "1", "FG_API_QUEUE_MAX": "0"}
QUERY = {"query": "{ health { ok } }"}


@pytest.fixture(scope="module")
def narrow() -> Iterator[str]:
    with serving(ONE_AT_A_TIME) as url:
        yield url


def test_a_request_beyond_the_admitted_ones_is_refused_at_once_and_probes_still_answer(
    narrow: str,
) -> None:
    deadline = time.monotonic() + 40
    answered: list[int] = []
    with httpx.Client(base_url=narrow, timeout=30.0) as http:
        body = {"query": ROW_RUNAWAY, "params": {}}

        def hold_the_slot() -> None:
            """The runaway read, until it is admitted (a poll below may hold the one slot
            when it arrives): it then runs until the 5 s limit stops it."""
            while (r := http.post("/api/cypher", json=body, headers=VIEWER)).status_code == 429:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            answered.append(r.status_code)

        slow = threading.Thread(target=hold_the_slot)
        slow.start()
        while (refused := http.post("/graphql", json=QUERY)).status_code != 429:
            assert slow.is_alive() and time.monotonic() < deadline, "never refused"
            time.sleep(0.05)
        assert refused.headers["retry-after"] == "1"
        error = refused.json()["error"]
        assert error["code"] == "busy" and "1 requests are running" in error["message"]
        assert http.get("/health/live").json() == {"ok": True, "checks": []}
        assert http.get("/health").status_code in (200, 503)  # answered, not queued
        slow.join(timeout=30)
        assert not slow.is_alive(), "the slow request did not come back"
        assert answered and answered[0] != 429, f"the runaway read was never admitted: {answered}"
        served = http.post("/graphql", json=QUERY)
        assert served.status_code == 200 and "errors" not in served.json()
