"""The Starlette application: health, GraphQL (HTTP + WebSocket), read-only Cypher."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from api.admission import Admission
from api.auth import parse_tokens
from api.bodies import BodyLimit
from api.cypher import Explorer, cypher_route
from api.graphql.view import FabricGraphQL
from api.health import ANSWER_S, HealthMonitor, liveness
from api.loop_lag import LoopLag, watch
from api.metrics import EventCounts, listen_events, make_registry, metrics_endpoint
from api.rest import rest_routes
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.errors import FabricError
from blueprint_engine.graph.db import Graph
from blueprint_engine.graph.migrate import migrate
from blueprint_engine.settings import Settings, load_settings

STATIC = Path(__file__).resolve().parent / "static"
PROBES = frozenset({"/health", "/health/live"})  # answered however busy the API is


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
    lag = LoopLag()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # the blocking reads' threads (AnyIO's default is 40: that many threads holding
        # and releasing the GIL make the event loop wait for it behind them)
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        sys.setswitchinterval(settings.api_switch_interval_s)
        with contextlib.suppress(FabricError):  # served anyway: /health names what is down
            await run_in_threadpool(migrate, graph)
        # what start-up built (modules, the schema, the catalogue) lives as long as the
        # process: out of the collector's sight, a full collection no longer walks it
        # (one took 126-243 ms here, a pause every request in flight waited out)
        gc.collect()
        gc.freeze()
        tasks = [
            asyncio.create_task(listen_events(settings, events)),
            asyncio.create_task(watch(lag)),
        ]
        monitor.start()
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
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
        Route("/metrics", metrics_endpoint(make_registry(graph, settings, events, lag))),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Mount("/api", routes=api_routes),
        Route("/topology", lambda r: FileResponse(STATIC / "topology.html")),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_exception_handler(FabricError, lambda r, e: error_response(e))  # type: ignore[arg-type,unused-ignore]
    app.add_middleware(BodyLimit, max_bytes=settings.max_payload_bytes)
    app.add_middleware(
        Admission,
        limit=settings.api_concurrency,
        queue_max=settings.api_queue_max,
        wait_s=settings.api_queue_wait_s,
        exempt=PROBES,
    )
    app.state.graph = graph
    app.state.settings = settings
    app.state.health = monitor
    return app
