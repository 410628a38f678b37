"""Admission of request work: a bounded number of requests run at once, a bounded queue
waits, and the rest are refused at once with 429 and ``Retry-After``.

The API is one process whose event loop parses, routes, executes GraphQL and encodes
every response, while the blocking reads run on its worker threads (all under one
GIL). With every client's request in progress at once, the loop's ready queue holds a
slice of each of them, and a probe's request waits behind all of them; with 40 threads
holding and releasing the GIL, the loop also waits for the GIL behind them. So work is
admitted ``limit`` requests at a time (the others wait here, costing the loop nothing),
up to ``queue_max`` waiting for at most ``wait_s``; beyond that the caller is told to
retry. Health probes (``exempt``) never wait here: liveness and readiness are answered
however busy the API is.
"""

from __future__ import annotations

import asyncio

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from blueprint_engine.errors import BusyError

RETRY_AFTER_S = 1


class Admission:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        queue_max: int,
        wait_s: float,
        exempt: frozenset[str],
    ) -> None:
        if limit < 1 or queue_max < 0 or wait_s <= 0:
            raise ValueError("admission needs limit >= 1, queue_max >= 0 and wait_s > 0")
        self.app, self.limit, self.queue_max, self.wait_s = app, limit, queue_max, wait_s
        self.exempt = exempt
        self.running = 0
        self.waiting = 0
        self._slots = asyncio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        if self._slots.locked() and self.waiting >= self.queue_max:
            await self._refuse(scope, receive, send, "queue")
            return
        self.waiting += 1
        try:
            async with asyncio.timeout(self.wait_s):
                await self._slots.acquire()
        except TimeoutError:
            await self._refuse(scope, receive, send, "wait")
            return
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.running -= 1
            self._slots.release()

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, why: str) -> None:
        said = (
            f"{self.waiting} requests are already waiting"
            if why == "queue"
            else f"this request waited {self.wait_s:g} s without a turn"
        )
        exc = BusyError(
            f"the API is busy: {self.limit} requests are running and {said}",
            allowed=f"retry after {RETRY_AFTER_S} s",
        )
        response = JSONResponse(
            {"error": exc.as_dict()},
            status_code=exc.http_status,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
        await response(scope, receive, send)
