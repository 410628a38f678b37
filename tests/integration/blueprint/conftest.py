"""Fixtures: blueprints built in the real Neo4j, removed after each test."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.db import Graph


@pytest.fixture(scope="session")
def blueprints(graph: Graph) -> Blueprints:
    return Blueprints(graph)


@pytest.fixture
def make_blueprint(blueprints: Blueprints) -> Iterator[Callable[[str], str]]:
    made: list[str] = []

    def make(template: str) -> str:
        name = f"t-{template}-{uuid.uuid4().hex[:8]}"
        blueprints.create(name, template)
        made.append(name)
        return name

    yield make
    for name in made:
        blueprints.delete(name)
