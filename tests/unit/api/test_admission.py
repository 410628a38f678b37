"""Admission of request work: ``limit`` at once, ``queue_max`` waiting, the rest 429;
health probes never wait."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from starlette.types import Receive, Scope, Send

from api.admission import Admission

PROBES = frozenset({"/health/live"})


class Held:
    """An ASGI app whose requests run until ``release`` (each one counted)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.started = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] not in PROBES:
            self.started += 1
            await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def _until(check: Callable[[], bool], what: str) -> None:
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not within 5 s: {what}")


def test_beyond_the_running_and_the_queue_a_request_is_refused_at_once_and_probes_pass() -> None:
    async def scenario() -> None:
        held = Held()
        gate = Admission(held, limit=1, queue_max=1, wait_s=30, exempt=PROBES)
        transport = httpx.ASGITransport(app=gate)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            running = asyncio.create_task(http.post("/graphql"))
            await _until(lambda: held.started == 1, "the first request to run")
            waiting = asyncio.create_task(http.post("/graphql"))
            await _until(lambda: gate.waiting == 1, "the second request to wait")

            refused = await http.post("/graphql")
            assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
            error = refused.json()["error"]
            assert error["code"] == "busy"
            assert "1 requests are running and 1 requests are already waiting" in error["message"]
            assert (await http.get("/health/live")).status_code == 200  # never queued

            held.release.set()
            assert [(await r).status_code for r in (running, waiting)] == [200, 200]
            assert held.started == 2 and gate.running == 0 and gate.waiting == 0

    asyncio.run(scenario())


def test_a_request_that_waits_longer_than_the_bound_is_refused_and_frees_its_place() -> None:
    async def scenario() -> None:
        held = Held()
        gate = Admission(held, limit=1, queue_max=5, wait_s=0.2, exempt=PROBES)
        transport = httpx.ASGITransport(app=gate)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            running = asyncio.create_task(http.post("/graphql"))
            await _until(lambda: held.started == 1, "the first request to run")
            late = await http.post("/graphql")
            assert late.status_code == 429
            assert "waited 0.2 s without a turn" in late.json()["error"]["message"]
            assert gate.waiting == 0
            held.release.set()
            assert (await running).status_code == 200
            assert (await http.get("/graphql")).status_code == 200  # the slot came back

    asyncio.run(scenario())
