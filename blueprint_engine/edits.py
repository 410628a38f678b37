"""Staged edits: each kind of change applied inside a transaction, with its exact inverse.

An edit is ``{"kind": str, "params": {...}}``, plain JSON. ``apply_edit`` runs it
against the graph in the caller's transaction and returns the logical diff it
made and the edits that undo it. Staged views, commits and rollbacks are all
built from this one mechanism (see ``staging``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from blueprint_engine import subgraph
from blueprint_engine.db import Graph, Query, Tx
from blueprint_engine.errors import ConflictError, NotFoundError, ValidationError
from blueprint_engine.lifecycle import DeployMode

Edit = dict[str, Any]
DiffEntry = dict[str, Any]


@dataclass
class Applied:
    diff: list[DiffEntry] = field(default_factory=list)
    inverse: list[Edit] = field(default_factory=list)  # applied in this order to undo


Handler = Callable[["EditContext", dict[str, Any]], Applied]


@dataclass(frozen=True)
class EditContext:
    graph: Graph
    tx: Tx
    blueprint: str
    handlers: dict[str, Handler] = field(default_factory=dict)  # kind -> handler
    extensions: dict[str, Any] = field(default_factory=dict)  # e.g. the catalogue


# properties an operator may change directly, per node kind
SETTABLE: dict[str, frozenset[str]] = {
    "System": frozenset({"hostname"}),
    "Interface": frozenset({"speed_mbps"}),
    "Link": frozenset({"speed_mbps"}),
    "VirtualNetwork": frozenset({"subnet"}),
}
DEPLOY_MODES = tuple(m.value for m in DeployMode)


def _settable_query(kind: str) -> Query:
    # kind is a key of SETTABLE (schema names only); the property key travels as a parameter
    return Query(
        f"edit.set_property.{kind}",
        f"""
        MATCH (n:{kind} {{uid: $bp + '/' + $id}})
        WITH n, n[$key] AS before
        CALL (n) {{ SET n += $change }}
        RETURN before
        """,
    )


SET_PROPERTY = {kind: _settable_query(kind) for kind in SETTABLE}
SET_DEPLOY_MODE = Query(
    "edit.set_deploy_mode",
    """
    MATCH (s:System {uid: $bp + '/' + $system})
    WHERE s.role IN ['spine', 'leaf']
    WITH s, s.deploy_mode AS before SET s.deploy_mode = $mode
    RETURN before
    """,
)
LINK_END = Query(
    "edit.link_end",
    """
    MATCH (l:Link {uid: $bp + '/' + $link})-[e:ENDPOINT {side: $side}]->(old:Interface)
    OPTIONAL MATCH (new:Interface {uid: $bp + '/' + $interface})
    OPTIONAL MATCH (other:Link)-[:ENDPOINT]->(new)
    OPTIONAL MATCH (s:System {uid: $bp + '/' + $system})
    RETURN old.id AS old, old.speed_mbps AS speed, new.id AS new, other.id AS busy_with,
           s.ports AS ports
    """,
)
NEW_INTERFACE = Query(
    "edit.new_interface",
    """
    MATCH (s:System {uid: $bp + '/' + $system})
    CREATE (s)-[:HAS_INTERFACE]->(:Interface {uid: $bp + '/' + $id, blueprint: $bp, id: $id,
            system: $system, name: $name, speed_mbps: $speed, ipv4: NULL})
    """,
)
MOVE_LINK_END = Query(
    "edit.move_link_end",
    """
    MATCH (l:Link {uid: $bp + '/' + $link})-[e:ENDPOINT {side: $side}]->(:Interface)
    MATCH (new:Interface {uid: $bp + '/' + $interface})
    DELETE e
    CREATE (l)-[:ENDPOINT {side: $side}]->(new)
    """,
)
RACK_MEMBERS = Query(
    "edit.rack_members",
    """
    MATCH (k:Rack {uid: $bp + '/' + $rack})
    OPTIONAL MATCH (k)<-[:IN_RACK]-(s:System)
    OPTIONAL MATCH (s)-[:HAS_INTERFACE]->(i:Interface)
    OPTIONAL MATCH (l:Link)-[:ENDPOINT]->(i)
    // both ends of the rack's links: the spine ports they used are freed with them
    OPTIONAL MATCH (l)-[:ENDPOINT]->(e:Interface)
    WITH k, s, i, l, e
    UNWIND [i, e] AS end
    OPTIONAL MATCH (end)-[:HAS_TRANSCEIVER]->(x:Transceiver)
    OPTIONAL MATCH (b:BgpSession)-[:PEER]->(s)
    WITH k, collect(DISTINCT s) + collect(DISTINCT end) + collect(DISTINCT x)
            + collect(DISTINCT l) + collect(DISTINCT b) AS parts
    UNWIND ([k] + parts) AS n
    WITH DISTINCT n
    OPTIONAL MATCH (r:Resource)-[:HELD_BY]->(n)
    WITH collect(DISTINCT n) + collect(DISTINCT r) AS all
    UNWIND all AS m
    RETURN elementId(m) AS eid, labels(m)[0] AS kind,
           CASE WHEN m:Resource THEN m.pool + '/' + m.value ELSE m.id END AS id
    """,
)
VN_MEMBERS = Query(
    "edit.vn_members",
    """
    MATCH (v:VirtualNetwork {uid: $bp + '/' + $name})
    OPTIONAL MATCH (r:Resource)-[:HELD_BY]->(v)
    WITH collect(v) + collect(r) AS all
    UNWIND all AS m
    RETURN elementId(m) AS eid, labels(m)[0] AS kind,
           CASE WHEN m:Resource THEN m.pool + '/' + m.value ELSE m.id END AS id
    """,
)


def _by_identity(label: str) -> Query:
    prop = subgraph.IDENTITY[label]  # label is checked against the allow-list by the caller
    return Query(
        f"edit.by_identity.{label}",
        f"""
        UNWIND $values AS v
        MATCH (x:{label} {{{prop}: v}})
        RETURN elementId(x) AS eid, '{label}' AS kind,
               CASE WHEN x:Resource THEN x.pool + '/' + x.value ELSE x.id END AS id
        """,
    )


def _require(params: dict[str, Any], *names: str) -> list[Any]:
    missing = [n for n in names if params.get(n) in (None, "")]
    if missing:
        raise ValidationError(
            f"missing parameter(s) {', '.join(missing)}", allowed=", ".join(names)
        )
    return [params[n] for n in names]


def set_property(ctx: EditContext, params: dict[str, Any]) -> Applied:
    kind, node_id, key = _require(params, "kind", "id", "key")
    if kind not in SETTABLE or key not in SETTABLE[kind]:
        allowed = "; ".join(f"{k}: {', '.join(sorted(v))}" for k, v in sorted(SETTABLE.items()))
        raise ValidationError(f"{kind}.{key} cannot be set directly", allowed=allowed)
    value = params.get("value")
    rows = ctx.graph.run(
        ctx.tx, SET_PROPERTY[kind], bp=ctx.blueprint, id=node_id, key=key, change={key: value}
    )
    if not rows:
        raise NotFoundError(f"no {kind} {node_id!r} in blueprint {ctx.blueprint!r}")
    before = rows[0]["before"]
    return Applied(
        diff=[
            {
                "change": "modified",
                "kind": kind,
                "id": node_id,
                "field": key,
                "before": before,
                "after": value,
            }
        ],
        inverse=[
            {
                "kind": "set_property",
                "params": {"kind": kind, "id": node_id, "key": key, "value": before},
            }
        ],
    )


def set_deploy_mode(ctx: EditContext, params: dict[str, Any]) -> Applied:
    system, mode = _require(params, "system", "mode")
    if mode not in DEPLOY_MODES:
        raise ValidationError(f"unknown deploy mode {mode!r}", allowed=DEPLOY_MODES)
    rows = ctx.graph.run(ctx.tx, SET_DEPLOY_MODE, bp=ctx.blueprint, system=system, mode=mode)
    if not rows:
        raise NotFoundError(
            f"no switch {system!r} in blueprint {ctx.blueprint!r}",
            allowed="a spine or leaf of this blueprint (servers have no deploy mode)",
        )
    before = rows[0]["before"]
    return Applied(
        diff=[
            {
                "change": "modified",
                "kind": "System",
                "id": system,
                "field": "deploy_mode",
                "before": before,
                "after": mode,
            }
        ],
        inverse=[{"kind": "set_deploy_mode", "params": {"system": system, "mode": before}}],
    )


def recable_link(ctx: EditContext, params: dict[str, Any]) -> Applied:
    link, side, interface = _require(params, "link", "side", "interface")
    if side not in ("a", "b"):
        raise ValidationError(f"unknown link side {side!r}", allowed="a, b")
    system, _, port = str(interface).partition(":")
    rows = ctx.graph.run(
        ctx.tx,
        LINK_END,
        bp=ctx.blueprint,
        link=link,
        side=side,
        interface=interface,
        system=system,
    )
    if not rows:
        raise NotFoundError(f"no link {link!r} in blueprint {ctx.blueprint!r}")
    row = rows[0]
    created: list[dict[str, Any]] = []
    if row["new"] is None:
        ports = row["ports"] or []
        if port not in ports:
            raise NotFoundError(
                f"no interface {interface!r} in blueprint {ctx.blueprint!r}",
                allowed=f"a port of {system}: {', '.join(ports)}" if ports else "<system>:<port>",
            )
        ctx.graph.run(
            ctx.tx,
            NEW_INTERFACE,
            bp=ctx.blueprint,
            system=system,
            id=interface,
            name=port,
            speed=row["speed"],
        )
        created.append(
            {"label": "Interface", "prop": "uid", "value": f"{ctx.blueprint}/{interface}"}
        )
    if row["busy_with"] is not None and row["busy_with"] != link:
        raise ConflictError(
            f"interface {interface} is already cabled by link {row['busy_with']}",
            allowed="an interface with no link (remove or re-cable the other link first)",
        )
    ctx.graph.run(
        ctx.tx, MOVE_LINK_END, bp=ctx.blueprint, link=link, side=side, interface=interface
    )
    return Applied(
        diff=[
            {
                "change": "modified",
                "kind": "Link",
                "id": link,
                "field": f"endpoint_{side}",
                "before": row["old"],
                "after": interface,
            }
        ],
        inverse=[
            {
                "kind": "recable_link",
                "params": {"link": link, "side": side, "interface": row["old"]},
            }
        ],
    )


def _delete_rows(ctx: EditContext, rows: list[dict[str, Any]]) -> Applied:
    captured = subgraph.capture(ctx.graph, ctx.tx, [r["eid"] for r in rows])
    subgraph.delete(ctx.graph, ctx.tx, [r["eid"] for r in rows])
    diff = [{"change": "removed", "kind": r["kind"], "id": r["id"]} for r in rows]
    return Applied(
        diff=sorted(diff, key=lambda d: (d["kind"], d["id"])),
        inverse=[{"kind": "restore", "params": {"captured": captured}}],
    )


def remove_rack(ctx: EditContext, params: dict[str, Any]) -> Applied:
    (rack,) = _require(params, "rack")
    rows = [r for r in ctx.graph.run(ctx.tx, RACK_MEMBERS, bp=ctx.blueprint, rack=rack) if r["eid"]]
    if not rows:
        raise NotFoundError(f"no rack {rack!r} in blueprint {ctx.blueprint!r}")
    return _delete_rows(ctx, rows)


def remove_virtual_network(ctx: EditContext, params: dict[str, Any]) -> Applied:
    (name,) = _require(params, "name")
    rows = ctx.graph.run(ctx.tx, VN_MEMBERS, bp=ctx.blueprint, name=name)
    if not rows:
        raise NotFoundError(f"no virtual network {name!r} in blueprint {ctx.blueprint!r}")
    return _delete_rows(ctx, rows)


def restore(ctx: EditContext, params: dict[str, Any]) -> Applied:
    """Inverse of a removal: recreate the captured nodes and relationships."""
    captured = params["captured"]
    subgraph.restore(ctx.graph, ctx.tx, captured)
    nodes = []
    for node in captured["nodes"]:
        label, prop, value = subgraph.identity(node["labels"], node["props"])
        nodes.append({"label": label, "prop": prop, "value": value})
    diff = [
        {
            "change": "added",
            "kind": n["labels"][0],
            "id": n["props"]["id"]
            if "id" in n["props"]
            else f"{n['props']['pool']}/{n['props']['value']}",
        }
        for n in captured["nodes"]
    ]
    return Applied(
        diff=sorted(diff, key=lambda d: (d["kind"], str(d["id"]))),
        inverse=[{"kind": "delete_nodes", "params": {"nodes": nodes}}],
    )


def delete_nodes(ctx: EditContext, params: dict[str, Any]) -> Applied:
    """Inverse of an addition: delete nodes named by identity (label, property, value)."""
    by_label: dict[str, list[Any]] = {}
    for node in params["nodes"]:
        if node["label"] not in subgraph.IDENTITY:
            raise ValidationError(f"cannot delete nodes labelled {node['label']!r}")
        by_label.setdefault(node["label"], []).append(node["value"])
    rows: list[dict[str, Any]] = []
    for label, values in sorted(by_label.items()):
        rows += ctx.graph.run(ctx.tx, _by_identity(label), values=values)
    return _delete_rows(ctx, rows)


def apply_edits(ctx: EditContext, params: dict[str, Any]) -> Applied:
    """A batch of edits applied in order (what a rollback stages)."""
    total = Applied()
    for edit in params["edits"]:
        applied = apply_edit(ctx, edit)
        total.diff.extend(applied.diff)
        total.inverse[:0] = applied.inverse
    return total


BASE_HANDLERS: dict[str, Handler] = {
    "set_property": set_property,
    "set_deploy_mode": set_deploy_mode,
    "recable_link": recable_link,
    "remove_rack": remove_rack,
    "remove_virtual_network": remove_virtual_network,
    "restore": restore,
    "delete_nodes": delete_nodes,
    "apply_edits": apply_edits,
}
# kinds an operator stages directly (the rest are inverses the engine generates)
OPERATOR_EDITS = (
    "add_rack",
    "remove_rack",
    "add_virtual_network",
    "remove_virtual_network",
    "recable_link",
    "set_property",
    "set_deploy_mode",
)


def apply_edit(ctx: EditContext, edit: Edit) -> Applied:
    kind = edit.get("kind")
    handler = ctx.handlers.get(str(kind)) or BASE_HANDLERS.get(str(kind))
    if handler is None:
        raise ValidationError(f"unknown edit kind {kind!r}", allowed=OPERATOR_EDITS)
    params = edit.get("params") or {}
    if not isinstance(params, dict):
        raise ValidationError("edit params must be an object", allowed="a JSON object")
    return handler(ctx, params)
