"""Thin Celery tasks: each one resolves ids through the graph and calls the core."""

from __future__ import annotations

import os
import socket
import time

from workers.app import GraphTask, app


@app.task(name="fabricgraph.ping")
def ping(payload: str) -> dict[str, str | int | float]:
    """Round-trip check: proves the broker, a worker and the result backend work."""
    return {"echo": payload, "worker": socket.gethostname(), "pid": os.getpid(), "at": time.time()}


@app.task(name="fabricgraph.graph_version", base=GraphTask, bind=True)
def graph_version(self: GraphTask) -> int:
    """A task that reads the graph: proves workers reach Neo4j."""
    from blueprint_engine.graph.migrate import graph_version as version

    return version(self.graph)


@app.task(name="fabricgraph.render_blueprint", base=GraphTask, bind=True)
def render_blueprint(self: GraphTask, blueprint: str) -> int:
    """Render the service config of every switch of a blueprint; return how many."""
    return len(self.blueprints.configs.render(blueprint))
