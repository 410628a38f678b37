"""REST for zero-touch provisioning: the script a switch downloads, the call home it makes.

Both are unauthenticated (a factory-default switch holds no token): what a registration
may do is bounded by the ZTP policy (``api/ztp.py``), the body by ``MAX_BODY`` bytes and
its grammar, and every caller address by a rate (``RATE`` requests per ``WINDOW_S``).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from api import ztp
from api.bodies import parse_json_object
from blueprint_engine.errors import BusyError, NotFoundError, ValidationError
from blueprint_engine.graph.db import Graph
from workers.agent_ops import AgentOps

RATE, WINDOW_S, MAX_SOURCES = 30, 10.0, 4096


class RateLimit:
    """At most ``rate`` calls per ``window`` seconds per source (the oldest sources forgotten
    beyond ``MAX_SOURCES``)."""

    def __init__(self, rate: int = RATE, window: float = WINDOW_S) -> None:
        self.rate, self.window = rate, window
        self.calls: OrderedDict[str, deque[float]] = OrderedDict()

    def check(self, source: str) -> None:
        now = time.monotonic()
        calls = self.calls.pop(source, deque())
        while calls and now - calls[0] > self.window:
            calls.popleft()
        self.calls[source] = calls
        while len(self.calls) > MAX_SOURCES:
            self.calls.popitem(last=False)
        if len(calls) >= self.rate:
            raise BusyError(
                f"too many ZTP requests from {source}: {self.rate} per {self.window:.0f} s",
                allowed="retry later",
            )
        calls.append(now)


async def _bounded_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > ztp.MAX_BODY:
        raise ValidationError(
            f"registration body is larger than {ztp.MAX_BODY} bytes", allowed="a small object"
        )
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > ztp.MAX_BODY:
            raise ValidationError(
                f"registration body is larger than {ztp.MAX_BODY} bytes", allowed="a small object"
            )
    return body


def register(ops: AgentOps, policy: ztp.ZtpPolicy | None, reg: ztp.Registration) -> dict[str, Any]:
    """Create the switch's off-box agent (or reconnect it when the same switch calls home
    again with the same address); the worker registers the device quarantined."""
    spec = ztp.agent_spec(policy, reg)
    try:
        known = ops.agents.get(spec.name)
    except NotFoundError:
        rows = ops.create_specs([spec], author="ztp")
        return {**rows[0], "created": True}
    same = (known["address"], known["platform"], known["options"]) == (
        spec.address, spec.platform, spec.options,
    )  # fmt: skip
    if not same:
        raise ValidationError(
            f"agent {spec.name} exists with address {known['address']}; the switch now calls "
            f"home from {spec.address}",
            allowed="delete the agent (decommissioning) before re-provisioning the switch",
        )
    return {**ops.connect(spec.name), "created": False}


def ztp_routes(graph: Graph, queue: str) -> list[Route]:
    ops = AgentOps(graph, queue)
    limit = RateLimit()

    def source(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    async def get_script(request: Request) -> PlainTextResponse:
        """
        summary: The zero-touch provisioning script a factory-default switch runs.
        description: >
          POSIX sh with the Cumulus ZTP marker; it carries no secret, only the call-home URL
          (this API as the switch reached it). Rate-limited per caller.
        responses:
          200: {description: "the script (text/plain)"}
          429: {description: "too many requests from this address"}
        """
        limit.check(source(request))
        fallback = f"http://{request.url.hostname or '127.0.0.1'}"
        base = ztp.base_url(request.headers.get("host"), request.url.scheme, fallback)
        policy = ztp.load_policy()
        return PlainTextResponse(ztp.script(base, policy.authorized_keys if policy else ()))

    async def post_register(request: Request) -> JSONResponse:
        """
        summary: A switch calls home; its off-box agent is created and connected.
        description: >
          Body {serial, address, platform, hostname?} (at most 4096 bytes). The ZTP policy
          (FG_ZTP_POLICY) bounds the address (its subnets) and platform and gives the
          agent's credential set name and options; the worker then registers the device
          OOS-QUARANTINED under the serial it reports, with its running config as pristine.
          The same switch calling again reconnects its agent (its device keeps its state).
        requestBody:
          content:
            application/json:
              schema:
                type: object
                required: [serial, address, platform]
                properties:
                  serial: {type: string}
                  address: {type: string}
                  platform: {type: string}
                  hostname: {type: string}
        responses:
          201: {description: "the agent created (status pending until its worker connects)"}
          200: {description: "the known agent, reconnecting"}
          400: {description: "invalid registration (each problem named)"}
          403: {description: "outside the ZTP policy, or ZTP off"}
          429: {description: "too many requests from this address"}
        """
        limit.check(source(request))
        reg = ztp.parse_registration(parse_json_object(await _bounded_body(request)))
        policy = ztp.load_policy()
        row = await run_in_threadpool(register, ops, policy, reg)
        return JSONResponse(row, status_code=201 if row["created"] else 200)

    return [
        Route("/ztp/script", get_script, methods=["GET"]),
        Route("/ztp/register", post_register, methods=["POST"]),
    ]
