"""A blueprint's graph as figures that two builds can be compared by (B1x's proof that a
faster write builds the same graph): the count of every label and relationship type,
and a digest of every node's labels and properties and of every relationship (its type,
properties and the natural keys of its ends), in an order independent of how the nodes
were created.

``python -m bench.b1x_fingerprint <blueprint> [out.json]`` prints them (and writes them
to ``out.json``); ``created_at`` (the build's clock) is left out of the digest.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from neo4j import ManagedTransaction

from bench.common import engine
from blueprint_engine.graph.db import Graph, Query

# every node of a blueprint: its intent nodes (tagged with the blueprint) and itself
NODES = Query(
    "bench.fingerprint.nodes",
    """
    CALL () {
      MATCH (n {blueprint: $bp}) RETURN n
      UNION MATCH (n:Blueprint {name: $bp}) RETURN n
    }
    RETURN labels(n) AS labels, properties(n) AS props
    """,
)
RELATIONSHIPS = Query(
    "bench.fingerprint.relationships",
    """
    CALL () {
      MATCH (n {blueprint: $bp}) RETURN n
      UNION MATCH (n:Blueprint {name: $bp}) RETURN n
    }
    MATCH (n)-[r]->(m)
    RETURN type(r) AS type, properties(r) AS props,
           coalesce(n.uid, n.key, n.name) AS start, coalesce(m.uid, m.key, m.name) AS end
    """,
)
IGNORED = ("created_at",)


def _line(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class _Multiset:
    """An order-independent digest of lines: the sum of their SHA-256 values."""

    def __init__(self) -> None:
        self.total = 0

    def add(self, line: str) -> None:
        self.total = (self.total + int(hashlib.sha256(line.encode()).hexdigest(), 16)) % MODULUS

    def hexdigest(self) -> str:
        return f"{self.total:064x}"


MODULUS = 2**256


def _stream(graph: Graph, query: Query, bp: str, each: Callable[[Any], None]) -> None:
    """Every record of ``query`` handed to ``each`` as it arrives (a million
    relationships are never held at once)."""

    def work(tx: ManagedTransaction) -> None:
        for record in tx.run(query.text, {"bp": bp}):
            each(record)

    graph.read_tx(work)


def fingerprint(graph: Graph, bp: str) -> dict[str, Any]:
    """Counts per label and relationship type, and digests of the nodes and relationships."""
    labels: dict[str, int] = {}
    nodes = _Multiset()

    def node(record: Any) -> None:
        for label in record["labels"]:
            labels[label] = labels.get(label, 0) + 1
        props = {k: v for k, v in record["props"].items() if k not in IGNORED}
        nodes.add(_line([sorted(record["labels"]), props]))

    types: dict[str, int] = {}
    relationships = _Multiset()

    def relationship(record: Any) -> None:
        types[record["type"]] = types.get(record["type"], 0) + 1
        relationships.add(_line([record["type"], record["props"], record["start"], record["end"]]))

    _stream(graph, NODES, bp, node)
    _stream(graph, RELATIONSHIPS, bp, relationship)
    return {
        "blueprint": bp,
        "labels": dict(sorted(labels.items())),
        "relationships": dict(sorted(types.items())),
        "nodes_digest": nodes.hexdigest(),
        "relationships_digest": relationships.hexdigest(),
    }


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m bench.b1x_fingerprint <blueprint> [out.json]")
        return 2
    result = fingerprint(engine().graph, argv[0])
    text = json.dumps(result, indent=2)
    print(text)
    if len(argv) > 1:
        Path(argv[1]).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
