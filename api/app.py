"""The Starlette application: health, GraphQL (HTTP + WebSocket), read-only Cypher."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from api.auth import parse_tokens
from api.bodies import BodyLimit
from api.cypher import Explorer, cypher_route
from api.graphql.view import FabricGraphQL
from api.health import ANSWER_S, HealthMonitor, liveness
from api.metrics import EventCounts, listen_events, make_registry, metrics_endpoint
from api.rest import rest_routes
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.errors import FabricError
from blueprint_engine.graph.db import Graph
from blueprint_engine.graph.migrate import migrate
from blueprint_engine.settings import Settings, load_settings

STATIC = Path(__file__).resolve().parent / "static"


def error_response(exc: FabricError) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="fabricgraph"'} if exc.http_status == 401 else {}
    return JSONResponse({"error": exc.as_dict()}, status_code=exc.http_status, headers=headers)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()
    graph = Graph(settings)
    tokens = parse_tokens(settings.api_tokens)
    monitor = HealthMonitor(graph, settings)
    explorer = Explorer(settings)

    async def readiness(request: Request) -> Response:
        report = await monitor.areport(wait_s=ANSWER_S)
        return JSONResponse(report, status_code=200 if report["ok"] else 503)

    async def live(request: Request) -> Response:
        return JSONResponse(liveness())

    events = EventCounts()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        with contextlib.suppress(FabricError):  # served anyway: /health names what is down
            await run_in_threadpool(migrate, graph)
        listener = asyncio.create_task(listen_events(settings, events))
        monitor.start()
        yield
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        monitor.close()
        explorer.close()
        graph.close()

    blueprints = Blueprints(graph)
    graphql = FabricGraphQL(graph, settings, tokens, blueprints, STATIC / "graphiql", monitor)
    api_routes = [
        cypher_route(explorer, tokens),
        *rest_routes(graph, settings, tokens, blueprints.catalogues, monitor.pinger),
    ]
    routes = [
        Route("/health", readiness),
        Route("/health/live", live),
        Route("/metrics", metrics_endpoint(make_registry(graph, settings, events))),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Mount("/api", routes=api_routes),
        Route("/topology", lambda r: FileResponse(STATIC / "topology.html")),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_exception_handler(FabricError, lambda r, e: error_response(e))  # type: ignore[arg-type,unused-ignore]
    app.add_middleware(BodyLimit, max_bytes=settings.max_payload_bytes)
    app.state.graph = graph
    app.state.settings = settings
    app.state.health = monitor
    return app
