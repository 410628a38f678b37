"""Graph.read_once: one auto-commit read statement, refused by the server if it writes."""

from __future__ import annotations

import pytest

from blueprint_engine.errors import FabricError
from blueprint_engine.graph.db import Graph, Query

pytestmark = pytest.mark.integration

PROBE = Query("test.read_once_probe", "MATCH (n:ReadOnceProbe) RETURN count(n) AS n")


def test_read_once_returns_rows_and_records_the_statement(graph: Graph) -> None:
    before = graph.stats.calls.get(PROBE.name, 0)
    assert graph.read_once(PROBE) == [{"n": 0}]
    assert graph.stats.calls[PROBE.name] == before + 1


def test_read_once_is_refused_a_write_and_leaves_the_graph_unchanged(graph: Graph) -> None:
    write = Query("test.read_once_write", "CREATE (:ReadOnceProbe) RETURN 1 AS one")
    with pytest.raises(FabricError) as refused:
        graph.read_once(write)
    assert "AccessMode" in refused.value.message
    assert graph.read(PROBE) == [{"n": 0}]
