"""REST for off-box agents: list, create (one, a list, or a YAML/CSV file's text),
connect, stop, delete. Responses hold credential set names, never secrets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.auth import Role
from blueprint_engine.errors import ValidationError
from blueprint_engine.graph.db import Graph
from workers.agent_ops import AgentOps

MAX_WAIT_S = 120.0


def _wait(request: Request) -> float:
    raw = request.query_params.get("wait_s", "0")
    try:
        value = float(raw)
    except ValueError:
        raise ValidationError(f"wait_s {raw[:20]!r} is not a number", allowed="0..120") from None
    if not 0 <= value <= MAX_WAIT_S:
        raise ValidationError(f"wait_s {value} is out of range", allowed="0..120")
    return value


def agent_routes(
    graph: Graph,
    queue: str,
    caller: Callable[[Request, Role, str], str],
    body_of: Callable[[Request], Any],
) -> list[Route]:
    ops = AgentOps(graph, queue)

    async def listing(request: Request) -> JSONResponse:
        """
        summary: Off-box agents with their last connection's status and reason.
        responses:
          200: {description: "agents: name, address, platform, credential (a name), options,
                 status, reason, detail, serial"}
        """
        return JSONResponse(await run_in_threadpool(ops.list))

    async def one(request: Request) -> JSONResponse:
        """
        summary: One off-box agent.
        responses:
          200: {description: "the agent"}
          404: {description: "no agent of that name"}
        """
        return JSONResponse(await run_in_threadpool(ops.agents.get, request.path_params["name"]))

    async def create(request: Request) -> JSONResponse:
        """
        summary: Create off-box agents and connect each on the workers (operator).
        description: >
          The body is one agent ({name, address, platform, credential, group, profile,
          options: {port, timeout, transport, recording}}), {"agents": [...]}, or a file's
          text {"file": "...", "format": "yaml" | "csv"}. All are created or none (each
          problem is named). Address: an IP address or RFC 1123 hostname; platform: a NAPALM
          driver (eos, nxos_ssh, junos, linuxfrr, or a plugin's name); credential: the name
          of a credential set resolved on the workers. wait_s (0..120) waits for outcomes.
        parameters:
          - {name: wait_s, in: query, schema: {type: number, default: 0}}
        requestBody:
          content:
            application/json:
              schema:
                type: object
                properties:
                  name: {type: string}
                  address: {type: string}
                  platform: {type: string}
                  credential: {type: string}
                  group: {type: string}
                  profile: {type: string}
                  options: {type: object}
                  agents: {type: array, items: {type: object}}
                  file: {type: string}
                  format: {type: string, enum: [yaml, csv]}
        responses:
          201: {description: "the created agents"}
          400: {description: "invalid agents (each problem named)"}
          403: {description: "caller is not an operator"}
          409: {description: "an agent of that name exists"}
        """
        author = caller(request, Role.OPERATOR, "create off-box agents")
        body = await body_of(request)
        wait = _wait(request)
        if "file" in body:
            text, fmt = body.get("file"), body.get("format", "yaml")
            if not isinstance(text, str) or not isinstance(fmt, str):
                raise ValidationError("'file' and 'format' must be strings", allowed="yaml, csv")
            rows = await run_in_threadpool(
                lambda: ops.create_from_file(text, fmt, author=author, wait=wait)
            )
        else:
            items = body.get("agents", [body])
            if not isinstance(items, list):
                raise ValidationError("'agents' must be a list", allowed="a list of agents")
            rows = await run_in_threadpool(lambda: ops.create(items, author=author, wait=wait))
        return JSONResponse(rows, status_code=201)

    async def connect(request: Request) -> JSONResponse:
        """
        summary: Connect (or restart) an agent (operator); a known serial keeps its state.
        parameters:
          - {name: wait_s, in: query, schema: {type: number, default: 0}}
        responses:
          200: {description: "the agent"}
          404: {description: "no agent of that name"}
        """
        caller(request, Role.OPERATOR, "connect an off-box agent")
        name, wait = request.path_params["name"], _wait(request)
        return JSONResponse(await run_in_threadpool(lambda: ops.connect(name, wait=wait)))

    async def stop(request: Request) -> JSONResponse:
        """
        summary: Stop an agent (operator); refused while its device is assigned.
        responses:
          200: {description: "the agent, stopped"}
          409: {description: "out of order: the next decommissioning step is named"}
        """
        caller(request, Role.OPERATOR, "stop an off-box agent")
        return JSONResponse(await run_in_threadpool(ops.stop, request.path_params["name"]))

    async def delete(request: Request) -> JSONResponse:
        """
        summary: Delete a stopped agent and decommission its device (operator).
        responses:
          200: {description: "the agent as it was"}
          409: {description: "out of order: the next decommissioning step is named"}
        """
        caller(request, Role.OPERATOR, "delete an off-box agent")
        return JSONResponse(await run_in_threadpool(ops.delete, request.path_params["name"]))

    return [
        Route("/agents", listing, methods=["GET"]),
        Route("/agents", create, methods=["POST"]),
        Route("/agents/{name}", one, methods=["GET"]),
        Route("/agents/{name}", delete, methods=["DELETE"]),
        Route("/agents/{name}/connect", connect, methods=["POST"]),
        Route("/agents/{name}/stop", stop, methods=["POST"]),
    ]
