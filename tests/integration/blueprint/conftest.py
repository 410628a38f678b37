"""Fixtures: blueprints built in the real Neo4j, removed after each test."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Graph, Query


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


DELETE_ENTRIES = Query(
    "test.delete_catalogue_entries",
    """
    MATCH (n) WHERE n.name IN $names AND (n:LogicalDevice OR n:DeviceProfile
          OR n:InterfaceMap OR n:RackType OR n:Template OR n:CatalogueConfiglet)
    DETACH DELETE n
    """,
)


@pytest.fixture
def entry_names(graph: Graph) -> Iterator[list[str]]:
    """Names of catalogue entries a test creates: all deleted together afterwards.

    Created entries cannot be deleted through the API; tests remove theirs here, in one
    transaction, so the stored catalogue other sessions read stays consistent.
    """
    names: list[str] = []
    yield names
    graph.write(DELETE_ENTRIES, names=names)
