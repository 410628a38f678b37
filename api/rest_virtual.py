"""REST for the virtual layer: a source's full snapshot, incremental events, VM lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.auth import Role
from api.virtual_sync import sync_inventory
from blueprint_engine.errors import ValidationError
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import Settings
from blueprint_engine.virtual import reads

_SYNC_RESPONSES = """
        responses:
          200: {description: "blueprint, source, hypervisors, vms, vnics, created, updated,
                deleted, relinked, vnics_checked, anomalies_raised, anomalies_cleared,
                anomalies_open"}
          400: {description: "a value out of its grammar or bounds (the field, the value
                and what is allowed are named); the graph is unchanged"}
          403: {description: "caller is not an operator"}
          404: {description: "unknown blueprint, server or server interface"}
          409: {description: "an id or MAC twice, two hypervisors on one server"}
"""


def virtual_routes(
    graph: Graph,
    settings: Settings,
    caller: Callable[[Request, Role, str], str],
    body_of: Callable[[Request], Any],
) -> list[Route]:
    async def snapshot(request: Request) -> JSONResponse:
        caller(request, Role.OPERATOR, "sync a virtual inventory")
        body = await body_of(request)
        bp, source = request.path_params["bp"], request.path_params["source"]
        row = await run_in_threadpool(
            lambda: sync_inventory(graph, settings, bp, source, snapshot=body)
        )
        return JSONResponse(row)

    snapshot.__doc__ = (
        """
        summary: Replace a source's virtual inventory of a blueprint (a full re-sync).
        description: >
          The body is the whole inventory the source reports now: {"hypervisors": [{id,
          server, name?, switches?: [{name, uplinks?: [server interface names]}]}],
          "vms": [{id, hypervisor, name?, state?, vnics?: [{id, mac, ips?, vlan?,
          port_group?, switch?}]}]}. Nodes it no longer reports are deleted. Ids match
          [A-Za-z0-9][A-Za-z0-9._:@-]{0,127}; MACs are unicast; VLANs 1-4094 or null;
          IPs are addresses without prefix. One transaction: all or nothing.
        requestBody:
          content:
            application/json:
              schema:
                type: object
                properties:
                  hypervisors: {type: array, items: {type: object}}
                  vms: {type: array, items: {type: object}}
"""
        + _SYNC_RESPONSES
    )

    async def events(request: Request) -> JSONResponse:
        caller(request, Role.OPERATOR, "sync a virtual inventory")
        body = await body_of(request)
        bp, source = request.path_params["bp"], request.path_params["source"]
        row = await run_in_threadpool(
            lambda: sync_inventory(graph, settings, bp, source, events=body.get("events"))
        )
        return JSONResponse(row)

    events.__doc__ = (
        """
        summary: Apply incremental events of a source, in order, all or nothing.
        description: >
          {"events": [{"op": "vm_upsert", "vm": {...}}, {"op": "vm_delete", "id": "..."},
          {"op": "hypervisor_upsert", "hypervisor": {...}}, {"op": "hypervisor_delete",
          "id": "..."}]}, at most 10000 per batch; the result must be a consistent
          inventory (a hypervisor still hosting VMs cannot be deleted).
        requestBody:
          content:
            application/json:
              schema:
                type: object
                required: [events]
                properties:
                  events: {type: array, items: {type: object}}
"""
        + _SYNC_RESPONSES
    )

    async def vms(request: Request) -> JSONResponse:
        """
        summary: VMs of a blueprint, by network, hypervisor or routing zone (one filter).
        parameters:
          - {name: network, in: query, schema: {type: string}}
          - {name: hypervisor, in: query, schema: {type: string}}
          - {name: routing_zone, in: query, schema: {type: string}}
          - {name: limit, in: query, schema: {type: integer, default: 100, maximum: 1000}}
          - {name: offset, in: query, schema: {type: integer, default: 0}}
        responses:
          200: {description: "VMs: id, name, source, state, hypervisor, server, rack, vnics"}
          400: {description: "two filters, or limit/offset out of range"}
          404: {description: "unknown blueprint, network, hypervisor or routing zone"}
        """
        q = request.query_params
        try:
            limit, offset = int(q.get("limit", 100)), int(q.get("offset", 0))
        except ValueError as exc:
            raise ValidationError(
                "limit and offset must be integers", allowed=f"limit 1..{reads.MAX_PAGE}"
            ) from exc
        rows = await run_in_threadpool(
            lambda: reads.list_vms(
                graph,
                request.path_params["bp"],
                network=q.get("network"),
                hypervisor=q.get("hypervisor"),
                routing_zone=q.get("routing_zone"),
                limit=limit,
                offset=offset,
            )
        )
        return JSONResponse(rows)

    return [
        Route("/blueprints/{bp}/virtual/{source}/snapshot", snapshot, methods=["PUT"]),
        Route("/blueprints/{bp}/virtual/{source}/events", events, methods=["POST"]),
        Route("/blueprints/{bp}/vms", vms, methods=["GET"]),
    ]
