"""Operator actions on off-box agents, shared by GraphQL, REST, the CLI and the lab's rollout.

Creating agents stores them (all or none) and enqueues one connection task per agent
on the workers; a task takes the agent's name only, so no secret is ever a task
argument or result. Waiting for outcomes is bounded.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from celery.exceptions import TimeoutError as CeleryTimeout
from celery.result import AsyncResult

from blueprint_engine.devices.agent_spec import AgentSpec, parse_agents, parse_file
from blueprint_engine.devices.agents import Agents, AgentStatus
from blueprint_engine.errors import ServiceUnavailableError
from blueprint_engine.graph.db import Graph
from workers.agents import agent_connect
from workers.app import app

MAX_WAIT_S = 600


class AgentOps:
    def __init__(self, graph: Graph, queue: str | None = None) -> None:
        self.agents = Agents(graph)
        self.queue = queue or str(app.conf.task_default_queue)

    def create(
        self, items: Sequence[object], *, author: str, wait: float = 0
    ) -> list[dict[str, Any]]:
        """Create agents from mappings and connect each on the workers."""
        return self.create_specs(parse_agents(items), author=author, wait=wait)

    def create_from_file(
        self, text: str, fmt: str, *, author: str, wait: float = 0
    ) -> list[dict[str, Any]]:
        return self.create_specs(parse_file(text, fmt), author=author, wait=wait)

    def create_specs(
        self, specs: list[AgentSpec], *, author: str, wait: float = 0
    ) -> list[dict[str, Any]]:
        self.agents.create(specs, author)
        names = [s.name for s in specs]
        results = [self.enqueue(name) for name in names]
        if wait > 0:
            self.wait(results, wait)
        return self.agents.list(names)

    def enqueue(self, name: str) -> AsyncResult[Any]:
        return agent_connect.apply_async((name,), queue=self.queue)

    def connect(self, name: str, *, wait: float = 0) -> dict[str, Any]:
        """(Re)connect an agent: a stopped agent starts again; a known serial keeps its state."""
        self.agents.get(name)  # NotFoundError naming the agent
        result = self.enqueue(name)
        if wait > 0:
            self.wait([result], wait)
        return self.agents.get(name)

    @staticmethod
    def wait(results: list[AsyncResult[Any]], timeout: float) -> None:
        deadline = time.monotonic() + min(timeout, MAX_WAIT_S)
        for result in results:
            try:
                result.get(timeout=max(0.1, deadline - time.monotonic()), propagate=False)
            except CeleryTimeout:
                raise ServiceUnavailableError(
                    f"agent connections did not finish within {timeout:.0f} s",
                    allowed="a running worker (make worker); the connections may still run",
                ) from None

    def list(self) -> list[dict[str, Any]]:
        return self.agents.list()

    def stop(self, name: str) -> dict[str, Any]:
        return self.agents.stop(name)

    def delete(self, name: str) -> dict[str, Any]:
        return self.agents.delete(name)


__all__ = ["AgentOps", "AgentStatus"]
