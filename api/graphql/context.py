"""Per-request GraphQL context: the caller, the graph, fresh dataloaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info as StrawberryInfo

from api.auth import Caller
from api.health import HealthMonitor
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import Settings


@dataclass
class Context:
    graph: Graph
    settings: Settings
    caller: Caller
    blueprints: Blueprints
    health: HealthMonitor
    loaders: dict[str, Any] = field(default_factory=dict)
    # the payload of a subscriber's connection_init (set by the WebSocket handler)
    connection_params: dict[str, Any] | None = None
    # list fields read in the client's shape (api.graphql.shapes): on or off, and the
    # shape of each such field of this request by its response path
    shaped: bool = True
    shapes: dict[tuple[str | int, ...], Any] = field(default_factory=dict)


Info = StrawberryInfo[Context, None]
