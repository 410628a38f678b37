"""Integration fixtures: the real Neo4j and Redis started by `make services`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from api.app import create_app
from blueprint_engine.graph.db import Graph
from blueprint_engine.graph.migrate import migrate
from blueprint_engine.settings import Settings, load_settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def graph(settings: Settings) -> Iterator[Graph]:
    g = Graph(settings)
    g.ping()  # fails loudly (ServiceUnavailableError) when Neo4j is not running
    migrate(g)
    yield g
    g.close()


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    """The API in-process (lifespan run), against the real services."""
    with TestClient(create_app(settings)) as c:
        yield c
