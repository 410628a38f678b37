"""Nested reads answered in the shape a client selected: one statement per list level.

A caller (the GraphQL API) describes what it wants of each object as a ``Shape``: the
fields in response order, each with its response key, its output type (``Leaf``) or
the shape of the object below it. Each *list* level (the systems or links of a page,
the interfaces of those systems) is one Cypher statement whose rows are lists in
exactly that field order, with the single objects below a row (an interface's link,
the link's two ends, an end's system) nested in the same row. The rows become the
response's maps by zipping them with the keys: no object per row, no per-field call.

Values are only checked, never coerced: each statement also counts the rows in which
a value does not fit its output type (a null where the type is non-null, an integer
outside 32 bits, a value of another type). Any such row makes the read answer
``None``, and the caller runs its general path, which reports each misfit its own way.

The Cypher is built from the fixed field tables below, never from the caller's text:
a response key (an alias) only ever names a key of the maps built in Python.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from blueprint_engine import reads
from blueprint_engine.design.ports import PortIntent
from blueprint_engine.graph.db import Graph, Query, Tx

Kind = Literal["System", "Interface", "Link"]
LeafType = Literal["STRING", "INTEGER", "BOOLEAN"]


@dataclass(frozen=True)
class Leaf:
    """The output type of a scalar field: what a value must be to be returned as is."""

    type: LeafType
    nullable: bool
    list_of: bool = False  # a list of ``type`` (its items non-null unless item_nullable)
    item_nullable: bool = False


@dataclass(frozen=True)
class Field:
    """One response key of an object: a leaf, a single object below it, or a list level
    (``System.interfaces``, paged by ``first``/``after``)."""

    key: str
    name: str  # the model's field (``speed_mbps``, ``a_end``) or ``__typename``
    leaf: Leaf | None = None
    child: Shape | None = None
    nullable: bool = True  # of an object field
    first: int = reads.MAX_PAGE
    after: str | None = None


@dataclass(frozen=True)
class Shape:
    kind: Kind
    fields: tuple[Field, ...]


class Unsupported(Exception):
    """A field this module does not read (the caller uses its general path)."""


Expr = Callable[[str], str]  # Cypher over the object's variable
# what a cursor is computed from; a row where it is not a string is a misfit
SORTED_BY: dict[Kind, str] = {"System": "id", "Interface": "name", "Link": "id"}


def _cursor(prop: str) -> str:
    return f"CASE WHEN {prop} IS :: STRING THEN {reads.natural_key(prop)} END"


LeafExpr = tuple[Expr, bool]  # a leaf field's Cypher, and whether it is derived


def _props(*names: str) -> dict[str, LeafExpr]:
    """Leaves that are the object's own properties of the same names."""
    return {name: (_prop(name), False) for name in names}


def _prop(name: str) -> Expr:
    return lambda v: f"{v}.{name}"


def _neighbour(name: str, pattern: str, label: str) -> dict[str, LeafExpr]:
    """A leaf that is the id of the one ``label`` node ``pattern`` leads to (or null)."""
    return {name: (lambda v: f"head([({v}){pattern}({v}_{name}:{label}) | {v}_{name}.id])", False)}


def _cursor_leaf(prop: str) -> dict[str, LeafExpr]:
    return {"cursor": (lambda v: _cursor(f"{v}.{prop}"), True)}


# leaf fields, and whether the value is derived (always of its type: never checked)
LEAVES: dict[Kind, dict[str, LeafExpr]] = {
    "System": {
        **_props("id", "hostname", "role", "asn", "loopback"),
        **_props("device_profile", "logical_device", "deploy_mode"),
        **_neighbour("rack", "-[:IN_RACK]->", "Rack"),
        **_cursor_leaf("id"),
    },
    "Interface": {
        **_props("id", "name", "speed_mbps", "ipv4"),
        **_neighbour("transceiver", "-[:HAS_TRANSCEIVER]->", "Transceiver"),
        "breakouts": (lambda v: f"coalesce({v}.breakouts, [])", False),
        # admin intent follows the cabling (blueprint_engine.design.ports)
        "cabled": (lambda v: f"{v}_cabled", True),
        "enabled": (lambda v: f"{v}_cabled", True),
        "intent": (lambda v: f"CASE WHEN {v}_cabled THEN $in_service ELSE $unused END", True),
        **_cursor_leaf("name"),
    },
    "Link": {
        **_props("id", "role", "speed_mbps", "subnet"),
        **_neighbour("a", "-[:ENDPOINT {side: 'a'}]->", "Interface"),
        **_neighbour("b", "-[:ENDPOINT {side: 'b'}]->", "Interface"),
        **_cursor_leaf("id"),
    },
}
Pattern = Callable[[str, str], str]  # from the object's variable to the child's
# single objects below an object
OBJECTS: dict[Kind, dict[str, tuple[Kind, Pattern]]] = {
    "Interface": {
        "link": ("Link", lambda v, c: f"({v})<-[:ENDPOINT]-({c}:Link)"),
        "system": ("System", lambda v, c: f"({c}:System)-[:HAS_INTERFACE]->({v})"),
    },
    "Link": {
        "a_end": ("Interface", lambda v, c: f"({v})-[:ENDPOINT {{side: 'a'}}]->({c}:Interface)"),
        "b_end": ("Interface", lambda v, c: f"({v})-[:ENDPOINT {{side: 'b'}}]->({c}:Interface)"),
    },
}
# values bound once per object, for the fields that use them
BOUND: dict[str, Expr] = {"cabled": lambda v: f"EXISTS {{ ({v})<-[:ENDPOINT]-(:Link) }}"}
USES: dict[tuple[Kind, str], str] = {
    ("Interface", "cabled"): "cabled",
    ("Interface", "enabled"): "cabled",
    ("Interface", "intent"): "cabled",
}


def _fits(expr: str, leaf: Leaf) -> str:
    """Cypher that is true when ``expr`` can be returned as is for ``leaf``."""
    if leaf.list_of:
        item = f"{leaf.type}{'' if leaf.item_nullable else ' NOT NULL'}"
        return f"{expr} IS :: LIST<{item}>{'' if leaf.nullable else ' NOT NULL'}"
    # an integer of any width is returned as it is, as the planned completion of
    # api.graphql.execution does (4-byte ASNs exceed GraphQL's 32-bit Int)
    fits = f"{expr} IS :: {leaf.type} NOT NULL"
    return f"({expr} IS NULL OR {fits})" if leaf.nullable else fits


@dataclass
class _Compiler:
    """Cypher for the objects of one row: their variables, the OPTIONAL MATCHes that
    bind them and the checks of their values."""

    matches: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    levels: list[Field] = field(default_factory=list)  # list fields of the row's object
    count: int = 0

    bound: dict[str, str] = field(default_factory=dict)  # name -> Cypher
    links: dict[str, str] = field(default_factory=dict)  # interface var -> its link's var

    def clauses(self) -> str:
        """The OPTIONAL MATCHes, then the values bound once per object (an interface
        whose link is read is cabled when that link was found)."""
        for var, link in self.links.items():
            if f"{var}_cabled" in self.bound:
                self.bound[f"{var}_cabled"] = f"{link} IS NOT NULL"
        bound = ", ".join(f"{expr} AS {name}" for name, expr in self.bound.items())
        return "\n".join([*self.matches, *([f"WITH *, {bound}"] if bound else [])])

    def sorted_by(self, kind: Kind, var: str) -> None:
        """``var``'s sort property must be a string (as ordering and cursors need)."""
        self.checks.append(f"({var} IS NULL OR {var}.{SORTED_BY[kind]} IS :: STRING NOT NULL)")

    def row(self, shape: Shape, var: str, top: bool = False) -> str:
        """The list expression of ``shape``'s fields on ``var``."""
        values = []
        for f in shape.fields:
            values.append(self._value(shape.kind, f, var, top))
        return "[" + ", ".join(values) + "]"

    def _value(self, kind: Kind, f: Field, var: str, top: bool) -> str:
        if f.name == "__typename":
            return "'" + kind + "'"
        if f.leaf is not None:
            found = LEAVES[kind].get(f.name)
            if found is None:
                raise Unsupported(f"{kind}.{f.name}")
            expr, derived = found[0](var), found[1]
            uses = USES.get((kind, f.name))
            if uses is not None:
                self.bound[f"{var}_{uses}"] = BOUND[uses](var)
            if not derived:
                self.checks.append(f"({var} IS NULL OR {_fits(expr, f.leaf)})")
            if f.name == "cursor":
                self.sorted_by(kind, var)
            return expr
        if f.child is None:
            raise Unsupported(f"{kind}.{f.name}")
        if kind == "System" and f.name == "interfaces" and f.child.kind == "Interface":
            if not top:
                raise Unsupported("interfaces below a single object")
            self.levels.append(f)
            return "null"  # filled by the level below
        target = OBJECTS.get(kind, {}).get(f.name)
        if target is None or target[0] != f.child.kind:
            raise Unsupported(f"{kind}.{f.name}")
        self.count += 1
        child = f"v{self.count}"
        self.matches.append("OPTIONAL MATCH " + target[1](var, child))
        if kind == "Interface" and f.name == "link":
            self.links[var] = child
        if not f.nullable:
            self.checks.append(f"({var} IS NULL OR {child} IS NOT NULL)")
        inner = self.row(f.child, child)
        return f"CASE WHEN {child} IS NULL THEN null ELSE {inner} END"


@dataclass(frozen=True)
class Level:
    """One statement and how its rows become maps."""

    query: Query
    build: Callable[[list[Any]], dict[str, Any]]
    levels: tuple[tuple[Field, Level], ...]  # the list fields of each item, and their level
    name_at: int | None = None  # where a port row holds its name (else sent beside it)


def _is_level(shape: Shape, f: Field) -> bool:
    return shape.kind == "System" and f.name == "interfaces"


# a response key as GraphQL spells names: the only keys a generated builder holds
NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*\Z")


def _keys(shape: Shape) -> Iterator[str]:
    for f in shape.fields:
        yield f.key
        if f.child is not None:
            yield from _keys(f.child)


def _expression(shape: Shape, row: str) -> str:
    """A Python expression building the map of ``shape`` from the list ``row``."""
    items = []
    for n, f in enumerate(shape.fields):
        value = f"{row}[{n}]"
        if f.child is not None and not _is_level(shape, f):
            value = f"(None if {value} is None else {_expression(f.child, value)})"
        items.append(f"{f.key!r}: {value}")
    return "{" + ", ".join(items) + "}"


def _builder(shape: Shape) -> Callable[[list[Any]], dict[str, Any]]:
    """Row (a list in field order) -> the response map, nested objects included: one
    dict display per object, compiled once per shape from its keys (GraphQL names,
    written as literals) and positions; no call per field or per nested object."""
    if not all(NAME.match(key) for key in _keys(shape)):
        return _zipper(shape)
    # the text holds only repr() of GraphQL names, indices and None
    build: Callable[[list[Any]], dict[str, Any]] = eval(
        f"lambda v: {_expression(shape, 'v')}", {"__builtins__": {}}
    )
    return build


def _zipper(shape: Shape) -> Callable[[list[Any]], dict[str, Any]]:
    keys = [f.key for f in shape.fields]
    nested = [
        (f.key, _zipper(f.child))
        for f in shape.fields
        if f.child is not None and not _is_level(shape, f)
    ]

    def build(values: list[Any]) -> dict[str, Any]:
        out = dict(zip(keys, values, strict=True))
        for key, sub in nested:
            value = out[key]
            if value is not None:
                out[key] = sub(value)
        return out

    return build


def _tail(c: _Compiler, row: str, order: str, collect: str) -> str:
    matches = c.clauses()
    valid = " AND ".join(c.checks) or "true"
    return f"""
    {matches}
    WITH {order}{row} AS row, CASE WHEN {valid} THEN 0 ELSE 1 END AS bad
    {collect}
    """


def _levels(c: _Compiler) -> tuple[tuple[Field, Level], ...]:
    return tuple((f, _interfaces_level(f.child)) for f in c.levels if f.child is not None)


@functools.lru_cache(maxsize=512)
def _interfaces_level(shape: Shape) -> Level:
    c = _Compiler()
    c.sorted_by("Interface", "v0")  # a page of ports is in natural order of names
    row = c.row(shape, "v0", top=True)
    # the names that order a page: from the rows when they hold them, else beside them
    name_at = next((n for n, f in enumerate(shape.fields) if f.name == "name" and f.leaf), None)
    names = "[]" if name_at is not None else "collect(name)"
    # a record per system, each as soon as its ports are read (the driver decodes one
    # while the server reads the next)
    text = f"""
    UNWIND $uids AS uid
    CALL (uid) {{
      MATCH (:System {{uid: uid}})-[:HAS_INTERFACE]->(v0:Interface)
      {
        _tail(
            c,
            row,
            "v0.name AS name, ",
            f"RETURN {names} AS names, collect(row) AS rows, sum(bad) AS bad",
        )
    }
    }}
    RETURN uid, names, rows, bad"""
    query = Query("reads.shaped.interfaces_of_systems", text)
    return Level(query, _builder(shape), (), name_at)


def _page_level(shape: Shape, page: str, name: str) -> Level:
    """A page of objects (``page`` binds ``v0`` and its sort ``key``) in ``shape``."""
    c = _Compiler()
    row = c.row(shape, "v0", top=True)
    text = f"""
    {page}
    {
        _tail(
            c,
            row,
            "key, v0.uid AS uid, ",
            "ORDER BY key RETURN collect([uid, row]) AS found, sum(bad) AS bad",
        )
    }"""
    return Level(Query(name, text), _builder(shape), _levels(c))


@functools.lru_cache(maxsize=512)
def systems_level(shape: Shape) -> Level:
    """The page of systems (``reads.SYSTEMS``' filters, order and page) in ``shape``."""
    return _page_level(shape, reads.systems_page("v0"), "reads.shaped.systems")


@functools.lru_cache(maxsize=512)
def links_level(shape: Shape) -> Level:
    """The page of links (``reads.LINKS``' filters, order and page) in ``shape``."""
    return _page_level(shape, reads.links_page("v0"), "reads.shaped.links")


def plan(shape: Shape, root: Kind) -> Level | None:
    """The statements of a read of ``root`` objects in ``shape``; None when a field is
    not one this module reads."""
    try:
        return systems_level(shape) if root == "System" else links_level(shape)
    except Unsupported:
        return None


INTENT = {"in_service": PortIntent.IN_SERVICE.value, "unused": PortIntent.UNUSED.value}


def _found(graph: Graph, tx: Tx, query: Query, **params: Any) -> tuple[list[Any], bool]:
    rows = graph.run(tx, query, **INTENT, **params)
    if not rows:
        return [], True
    return rows[0]["found"] or [], not rows[0]["bad"]


def read(graph: Graph, tx: Tx, level: Level, params: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The page ``params`` asks for, each item a response map; None when a value does not
    fit its output type (the caller's general path reports it)."""
    found, ok = _found(graph, tx, level.query, **params)
    if not ok:
        return None
    items = [(uid, level.build(row)) for uid, row in found]
    for f, below in level.levels:
        pages = graph.run(tx, below.query, uids=[uid for uid, _ in items], **INTENT)
        if any(page["bad"] for page in pages):
            return None
        at = below.name_at
        by_uid = {
            page["uid"]: (
                page["names"] if at is None else [r[at] for r in page["rows"]],
                page["rows"],
            )
            for page in pages
        }
        first, after, key, build = reads.clamp(f.first), f.after, f.key, below.build
        for uid, item in items:
            names, rows = by_uid.get(uid, ((), ()))
            item[key] = [build(r) for r in _page(names, rows, first, after)]
    return [item for _, item in items]


def _page(names: list[str], rows: list[Any], first: int, after: str | None) -> list[Any]:
    """``rows`` in natural order of ``names``, the page after ``after`` (as
    ``reads.ports_page``)."""
    order = _order(tuple(names))  # switches of one profile share their port names
    if after is None:
        return [rows[n] for _, n in order[:first]]
    return [rows[n] for key, n in order if key > after][:first]


@functools.lru_cache(maxsize=4096)
def _order(names: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """(natural key, position) of ``names``, in natural order (ties in given order)."""
    return tuple(sorted(((reads.sort_key(name), n) for n, name in enumerate(names))))
