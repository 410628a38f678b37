"""The Starlette application: health, GraphQL (HTTP + WebSocket), read-only Cypher."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from api.auth import Caller, caller_from_header, parse_tokens
from api.graphql.context import Context
from api.graphql.loaders import make_loaders
from api.graphql.schema import build_schema
from api.health import health
from api.metrics import EventCounts, listen_events, make_registry, metrics_endpoint
from api.rest import rest_routes
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.db import Graph
from blueprint_engine.errors import FabricError, ValidationError
from blueprint_engine.migrate import migrate
from blueprint_engine.settings import Settings, load_settings

STATIC = Path(__file__).resolve().parent / "static"


def error_response(exc: FabricError) -> JSONResponse:
    return JSONResponse({"error": exc.as_dict()}, status_code=exc.http_status)


class PayloadLimit:
    """Refuse request bodies over the configured size with a 413 naming the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and int(length) > self.max_bytes:
                exc = ValidationError(
                    f"request body of {int(length)} bytes is too large",
                    allowed=f"at most {self.max_bytes} bytes",
                )
                response = JSONResponse({"error": exc.as_dict()}, status_code=413)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class FabricGraphQL(GraphQL[Context, None]):
    def __init__(
        self, graph: Graph, settings: Settings, tokens: dict[str, Caller], blueprints: Blueprints
    ) -> None:
        super().__init__(build_schema(), graphql_ide="graphiql")
        self.graph, self.settings, self.tokens = graph, settings, tokens
        self.blueprints = blueprints

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        header = request.headers.get("authorization")
        if header is None and isinstance(request, WebSocket):
            header = request.query_params.get("token") and f"Bearer {request.query_params['token']}"
        caller = caller_from_header(header, self.tokens)
        return Context(
            graph=self.graph,
            settings=self.settings,
            caller=caller,
            blueprints=self.blueprints,
            loaders=make_loaders(self.graph),
        )


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()
    graph = Graph(settings)
    tokens = parse_tokens(settings.api_tokens)

    async def healthz(request: Request) -> Response:
        report = await run_in_threadpool(health, graph, settings)
        return JSONResponse(report, status_code=200 if report["ok"] else 503)

    async def live(request: Request) -> Response:
        """Liveness: the process serves requests; no dependency is touched."""
        return JSONResponse({"ok": True})

    events = EventCounts()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        with contextlib.suppress(FabricError):  # served anyway: /health names what is down
            await run_in_threadpool(migrate, graph)
        listener = asyncio.create_task(listen_events(settings, events))
        yield
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        graph.close()

    blueprints = Blueprints(graph)
    graphql = FabricGraphQL(graph, settings, tokens, blueprints)
    routes = [
        Route("/health", healthz),
        Route("/health/live", live),
        Route("/metrics", metrics_endpoint(make_registry(graph, settings, events))),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Mount("/api", routes=rest_routes(graph, settings, tokens, blueprints.catalogues)),
        Route("/topology", lambda r: FileResponse(STATIC / "topology.html")),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_exception_handler(FabricError, lambda r, e: error_response(e))  # type: ignore[arg-type,unused-ignore]
    app.add_middleware(PayloadLimit, max_bytes=settings.max_payload_bytes)
    app.state.graph = graph
    app.state.settings = settings
    return app
