"""The GraphQL endpoint (HTTP and graphql-transport-ws): callers, bodies, GraphiQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from api.auth import Caller, caller_from_header
from api.bodies import parse_json
from api.graphql.context import Context
from api.graphql.loaders import make_loaders
from api.graphql.schema import build_schema
from api.health import HealthMonitor
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.errors import FabricError
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import Settings

GRAPHIQL_ASSETS = (
    "graphiql.min.js",
    "graphiql.min.css",
    "react.production.min.js",
    "react-dom.production.min.js",
)
GRAPHIQL_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def graphiql_enabled(setting: str, assets: Path) -> bool:
    """``on``/``off``, or ``auto``: on exactly when GraphiQL's assets are installed locally."""
    if setting.lower() in ("off", "false", "0", "no"):
        return False
    return all((assets / name).is_file() for name in GRAPHIQL_ASSETS)


def ws_token(params: object) -> str | None:
    """The bearer token a subscriber sent in ``connection_init`` (``token`` or
    ``Authorization``)."""
    if not isinstance(params, dict):
        return None
    token = params.get("token")
    header = params.get("Authorization", params.get("authorization"))
    if isinstance(token, str):
        return f"Bearer {token}"
    return header if isinstance(header, str) else None


class FabricGraphQL(GraphQL[Context, None]):
    def __init__(
        self,
        graph: Graph,
        settings: Settings,
        tokens: dict[str, Caller],
        blueprints: Blueprints,
        graphiql_assets: Path,
        health: HealthMonitor,
    ) -> None:
        self.graphiql = graphiql_enabled(settings.graphiql, graphiql_assets)
        super().__init__(build_schema(), graphql_ide="graphiql" if self.graphiql else None)
        self.graph, self.settings, self.tokens = graph, settings, tokens
        self.blueprints, self.health = blueprints, health

    def encode_json(self, data: object) -> str:
        # orjson: a large nested read (every port of 500 switches) encodes in a tenth of
        # the time json.dumps takes; same JSON for every value a schema type can return.
        # Text, not bytes: the WebSocket transport sends bytes as binary frames
        return orjson.dumps(data).decode()

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return parse_json(data)
        except FabricError as exc:
            raise HTTPException(400, str(exc)) from exc

    async def render_graphql_ide(self, request: Request) -> Response:
        page = (Path(__file__).resolve().parent.parent / "static" / "graphiql.html").read_text()
        return HTMLResponse(page, headers={"Content-Security-Policy": GRAPHIQL_CSP})

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        header = request.headers.get("authorization")
        caller = caller_from_header(header, self.tokens)
        return Context(
            graph=self.graph,
            settings=self.settings,
            caller=caller,
            blueprints=self.blueprints,
            health=self.health,
            loaders=make_loaders(self.graph),
            shaped=self.settings.graphql_shaped,
        )

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        """Subscribers need a token: in ``connection_init`` or on the upgrade request."""
        header = ws_token(context.connection_params)
        if header is not None:
            try:
                context.caller = caller_from_header(header, self.tokens)
            except FabricError:
                raise ConnectionRejectionError() from None
        if not context.caller.authenticated:
            raise ConnectionRejectionError()
        return None
