"""Capture, delete and restore pieces of a blueprint: the undo log behind revisions.

A captured subgraph is plain JSON: nodes (labels + properties) and the
relationships touching them, each endpoint named by its identity
(label, property, value). Restoring it recreates exactly what was deleted, so
every staged removal has an exact inverse and any revision can be rolled back.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, TypedDict

from blueprint_engine.graph.db import Graph, Query, Tx


class CapturedNode(TypedDict):
    labels: list[str]
    props: dict[str, Any]


class CapturedRel(TypedDict):
    type: str
    start: list[Any]  # [label, identity property, value]
    end: list[Any]
    props: dict[str, Any]


class Captured(TypedDict):
    nodes: list[CapturedNode]
    rels: list[CapturedRel]


# identity property per label: what names a node across transactions
IDENTITY: dict[str, str] = {
    "Blueprint": "name",
    "Rack": "uid",
    "System": "uid",
    "Interface": "uid",
    "Transceiver": "uid",
    "Link": "uid",
    "BgpSession": "uid",
    "RoutingZone": "uid",
    "VirtualNetwork": "uid",
    "Pool": "uid",
    "Resource": "key",
    "Configlet": "uid",
    "PropertySet": "uid",
    "Device": "serial",
}
RELATIONSHIP_TYPES = frozenset(
    {
        "HAS_RACK",
        "HAS_SYSTEM",
        "IN_RACK",
        "HAS_INTERFACE",
        "HAS_TRANSCEIVER",
        "ENDPOINT",
        "PEER",
        "OVER",
        "BOUND_TO",
        "IN_ZONE",
        "HAS_POOL",
        "ALLOCATED",
        "HELD_BY",
        "ASSIGNED_TO",
        "HAS_CONFIGLET",
    }
)

CAPTURE = Query(
    "subgraph.capture",
    """
    UNWIND $ids AS eid
    MATCH (n) WHERE elementId(n) = eid
    OPTIONAL MATCH (n)-[r]->(m) WHERE type(r) IN $types
    WITH n, collect(CASE WHEN r IS NULL THEN NULL ELSE
         {type: type(r), props: properties(r), end_labels: labels(m),
          end_props: properties(m)} END) AS outgoing
    OPTIONAL MATCH (n)<-[r2]-(m2) WHERE type(r2) IN $types
    RETURN labels(n) AS labels, properties(n) AS props, outgoing,
           collect(CASE WHEN r2 IS NULL THEN NULL ELSE
                   {type: type(r2), props: properties(r2), start_labels: labels(m2),
                    start_props: properties(m2)} END) AS incoming
    """,
)
# a removed system's stored configs (rendered, incremental) go with it: they are derived
# from intent, never restored (the commit restoring the system stores them again)
DELETE = Query(
    "subgraph.delete",
    """
    UNWIND $ids AS eid
    MATCH (n) WHERE elementId(n) = eid
    CALL (n) {
      MATCH (n:System)-[:HAS_CONFIG]->(c:Config)
      DETACH DELETE c
    }
    DETACH DELETE n
    """,
)


def identity(labels: list[str], props: dict[str, Any]) -> tuple[str, str, Any]:
    for label in labels:
        if label in IDENTITY:
            prop = IDENTITY[label]
            return label, prop, props[prop]
    raise ValueError(f"no identity for a node labelled {labels}")


def capture(graph: Graph, tx: Tx, element_ids: list[str]) -> Captured:
    """The nodes with these element ids and every intent relationship touching them.

    Relationships of other types (a system's stored configs, telemetry observing it)
    are not intent: they are left out, and deleting the nodes detaches them.
    """
    nodes: list[CapturedNode] = []
    rels: dict[tuple[Any, ...], CapturedRel] = {}
    for row in graph.run(tx, CAPTURE, ids=element_ids, types=sorted(RELATIONSHIP_TYPES)):
        me = identity(row["labels"], row["props"])
        nodes.append({"labels": sorted(row["labels"]), "props": _plain(row["props"])})
        for out in row["outgoing"]:
            end = identity(out["end_labels"], out["end_props"])
            rels[(out["type"], me, end, _key(out["props"]))] = {
                "type": out["type"],
                "start": list(me),
                "end": list(end),
                "props": _plain(out["props"]),
            }
        for inc in row["incoming"]:
            start = identity(inc["start_labels"], inc["start_props"])
            rels[(inc["type"], start, me, _key(inc["props"]))] = {
                "type": inc["type"],
                "start": list(start),
                "end": list(me),
                "props": _plain(inc["props"]),
            }
    return {"nodes": nodes, "rels": list(rels.values())}


def delete(graph: Graph, tx: Tx, element_ids: list[str]) -> None:
    graph.run(tx, DELETE, ids=element_ids)


def restore(graph: Graph, tx: Tx, captured: Captured) -> None:
    """Recreate captured nodes, then reconnect every captured relationship."""
    by_labels: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for node in captured["nodes"]:
        labels = tuple(node["labels"])
        _check_labels(labels)
        by_labels[labels].append(node["props"])
    for labels, rows in by_labels.items():
        text = f"UNWIND $rows AS p CREATE (n:{':'.join(labels)}) SET n = p"
        graph.run(tx, Query(f"subgraph.restore.{'_'.join(labels)}", text), rows=rows)
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for rel in captured["rels"]:
        (s_label, s_prop, s_val), (e_label, e_prop, e_val) = rel["start"], rel["end"]
        _check_labels((s_label, e_label))
        if (
            rel["type"] not in RELATIONSHIP_TYPES
            or s_prop != IDENTITY[s_label]
            or (e_prop != IDENTITY[e_label])
        ):
            raise ValueError(f"refusing to restore unknown relationship shape {rel}")
        shape = (rel["type"], s_label, s_prop, e_label, e_prop)
        by_shape[shape].append({"s": s_val, "e": e_val, "props": rel["props"]})
    for (rtype, s_label, s_prop, e_label, e_prop), rows in by_shape.items():
        text = (
            f"UNWIND $rows AS r MATCH (a:{s_label} {{{s_prop}: r.s}}) "
            f"MATCH (b:{e_label} {{{e_prop}: r.e}}) CREATE (a)-[x:{rtype}]->(b) SET x = r.props"
        )
        graph.run(tx, Query(f"subgraph.relink.{rtype}.{s_label}.{e_label}", text), rows=rows)


def _check_labels(labels: tuple[str, ...]) -> None:
    unknown = [label for label in labels if label not in IDENTITY]
    if unknown:
        raise ValueError(f"refusing to restore nodes with unknown labels {unknown}")


def _key(props: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, str(v)) for k, v in props.items()))


def _plain(props: dict[str, Any]) -> dict[str, Any]:
    """Properties as JSON values (temporal values become ISO strings)."""
    return {
        k: v if isinstance(v, (str, int, float, bool, list, type(None))) else str(v)
        for k, v in props.items()
    }
