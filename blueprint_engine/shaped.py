"""Nested reads answered in the shape a client selected: one statement per list level.

A caller (the GraphQL API) describes what it wants of each object as a ``Shape``: the
fields in response order, each with its response key, its output type (``Leaf``) or
the shape of the object below it. Each *list* level (the systems or links of a page,
the interfaces of those systems) is one Cypher statement whose rows are flat lists:
the object's values in field order, and for each single object below it (an
interface's link, the link's two ends, an end's system) a presence flag followed by
that object's values, in the same row. A row becomes the response's nested maps by one
dict display per object, compiled once per shape: no object per row, no per-field call.
Nested lists cost the server and the driver a list per object; a flat row one value.

Values are only checked, never coerced, and the checks run on the decoded rows a
column at a time (``fits``): a null where the type is non-null, a value of another
type, a missing object the schema says is non-null. Any misfit makes the read answer
``None``, and the caller runs its general path, which reports each misfit its own way.
(Checked in Cypher, the same predicates cost the server more than reading the rows.)
Values derived from one another (a port's admin intent from its cabling) are read once
and derived in the builder.

The Cypher is built from the fixed field tables below, never from the caller's text:
a response key (an alias) only ever names a key of the maps built in Python.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from blueprint_engine import reads
from blueprint_engine.design.ports import PortIntent
from blueprint_engine.graph import collector
from blueprint_engine.graph.db import Graph, Query, Tx
from graph_schema.natural import natural_key

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
    return f"CASE WHEN {prop} IS :: STRING THEN {natural_key(prop)} END"


# a leaf field's Cypher, whether it is derived (never checked), and the Python
# expression its response value is (``{}``: the row's value) when it is not the value
LeafExpr = tuple[Expr, bool, str]


def _props(*names: str) -> dict[str, LeafExpr]:
    """Leaves that are the object's own properties of the same names."""
    return {name: (_prop(name), False, "{}") for name in names}


def _prop(name: str) -> Expr:
    return lambda v: f"{v}.{name}"


def _neighbour(name: str, pattern: str, label: str) -> dict[str, LeafExpr]:
    """A leaf that is the id of the one ``label`` node ``pattern`` leads to (or null)."""
    return {
        name: (lambda v: f"head([({v}){pattern}({v}_{name}:{label}) | {v}_{name}.id])", False, "{}")
    }


def _cursor_leaf(prop: str) -> dict[str, LeafExpr]:
    # checked as a non-null string: null when the property it is computed from is not one
    return {"cursor": (lambda v: _cursor(f"{v}.{prop}"), False, "{}")}


CURSOR = Leaf("STRING", nullable=False)
# the cabling of a port (a boolean, read once per port) and what is derived from it
_CABLED: LeafExpr = (lambda v: f"{v}_cabled", True, "{}")
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
        "breakouts": (lambda v: f"coalesce({v}.breakouts, [])", False, "{}"),
        # admin intent follows the cabling (blueprint_engine.design.ports)
        "cabled": _CABLED,
        "enabled": _CABLED,
        "intent": (_CABLED[0], True, "(IN_SERVICE if {} else UNUSED)"),
        **_cursor_leaf("name"),
    },
    "Link": {
        **_props("id", "role", "speed_mbps", "subnet"),
        **_neighbour("a", "-[:ENDPOINT {side: 'a'}]->", "Interface"),
        **_neighbour("b", "-[:ENDPOINT {side: 'b'}]->", "Interface"),
        **_cursor_leaf("id"),
    },
}
CONSTANTS = {"IN_SERVICE": PortIntent.IN_SERVICE.value, "UNUSED": PortIntent.UNUSED.value}
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


@dataclass(frozen=True)
class Column:
    """What one value of a flat row must be for the row to be returned as it is.

    A row holds its object's values and, for each single object below it, a presence
    flag (``x IS NOT NULL``) followed by that object's values (all null when absent).
    """

    leaf: Leaf | None  # None: derived (never checked), or a presence flag
    present: int | None  # the flag of the object holding the value (None: the row's own)
    required: bool = False  # a presence flag that must be true when its holder is present


PY_TYPES: dict[LeafType, type] = {"STRING": str, "INTEGER": int, "BOOLEAN": bool}


def fits(rows: list[list[Any]], columns: tuple[Column, ...]) -> bool:
    """True when every value of ``rows`` can be returned as is: checked a column at a time
    (types by ``set(map(type, ...))``, nulls by counting), never a call per value."""
    if not rows:
        return True
    values = list(zip(*rows, strict=True))
    total = len(rows)
    for column, spec in zip(values, columns, strict=True):
        present = total if spec.present is None else values[spec.present].count(True)
        if spec.leaf is None:
            if spec.required and column.count(True) != present:
                return False
            continue
        leaf = spec.leaf
        if not leaf.nullable and column.count(None) != total - present:
            return False
        types = set(map(type, column))
        types.discard(type(None))
        if not types <= {list if leaf.list_of else PY_TYPES[leaf.type]}:
            return False
        if leaf.list_of and not all(_items_fit(v, leaf) for v in column if v is not None):
            return False
    return True


def _items_fit(items: list[Any], leaf: Leaf) -> bool:
    allowed = {PY_TYPES[leaf.type], *((type(None),) if leaf.item_nullable else ())}
    return set(map(type, items)) <= allowed


@dataclass
class _Compiler:
    """Cypher for the objects of one row: their variables, the OPTIONAL MATCHes that
    bind them, the row's flat values and what each must be."""

    matches: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)  # Cypher of each value of the row
    columns: list[Column] = field(default_factory=list)
    derived: dict[str, int] = field(default_factory=dict)  # Cypher -> its position
    keys: list[str] = field(default_factory=list)  # response keys that are not names
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

    def row(self) -> str:
        return "[" + ", ".join(self.values) + "]"

    def value(self, cypher: str, column: Column) -> int:
        """The position of ``cypher`` in the row (a derived value is read once)."""
        if column.leaf is None and not column.required and cypher in self.derived:
            return self.derived[cypher]
        self.values.append(cypher)
        self.columns.append(column)
        if column.leaf is None and not column.required:
            self.derived[cypher] = len(self.values) - 1
        return len(self.values) - 1

    def obj(self, shape: Shape, var: str, present: int | None, top: bool = False) -> str:
        """The Python expression building ``shape``'s map from the flat row ``v``."""
        items = [
            f"{self._key(f.key)}: {self._value(shape.kind, f, var, present, top)}"
            for f in shape.fields
        ]
        return "{" + ", ".join(items) + "}"

    def _key(self, key: str) -> str:
        if NAME.match(key):
            return repr(key)  # a GraphQL name, written as a literal
        self.keys.append(key)
        return f"KEYS[{len(self.keys) - 1}]"

    def _value(self, kind: Kind, f: Field, var: str, present: int | None, top: bool) -> str:
        if f.name == "__typename":
            return repr(kind)
        if f.leaf is not None:
            found = LEAVES[kind].get(f.name)
            if found is None:
                raise Unsupported(f"{kind}.{f.name}")
            expr, derived, python = found
            uses = USES.get((kind, f.name))
            if uses is not None:
                self.bound[f"{var}_{uses}"] = BOUND[uses](var)
            leaf = None if derived else (CURSOR if f.name == "cursor" else f.leaf)
            return python.format(f"v[{self.value(expr(var), Column(leaf, present))}]")
        if f.child is None:
            raise Unsupported(f"{kind}.{f.name}")
        if kind == "System" and f.name == "interfaces" and f.child.kind == "Interface":
            if not top:
                raise Unsupported("interfaces below a single object")
            self.levels.append(f)
            return "None"  # filled by the level below
        target = OBJECTS.get(kind, {}).get(f.name)
        if target is None or target[0] != f.child.kind:
            raise Unsupported(f"{kind}.{f.name}")
        self.count += 1
        child = f"v{self.count}"
        self.matches.append("OPTIONAL MATCH " + target[1](var, child))
        if kind == "Interface" and f.name == "link":
            self.links[var] = child
        flag = self.value(f"{child} IS NOT NULL", Column(None, present, not f.nullable))
        return f"({self.obj(f.child, child, flag)} if v[{flag}] else None)"

    def builder(self, expression: str) -> Callable[[list[Any]], dict[str, Any]]:
        """Row -> the response map, nested objects included: one dict display per
        object, compiled once per shape; the code holds only positions, GraphQL names
        (as literals) and the names of ``CONSTANTS`` and ``KEYS`` (other response keys)."""
        scope = {"__builtins__": {}, **CONSTANTS, "KEYS": tuple(self.keys)}
        build: Callable[[list[Any]], dict[str, Any]] = eval(f"lambda v: {expression}", scope)
        return build


@dataclass(frozen=True)
class Level:
    """One statement and how its rows become maps."""

    query: Query
    build: Callable[[list[Any]], dict[str, Any]]
    columns: tuple[Column, ...]  # what each value of a row must be
    levels: tuple[tuple[Field, Level], ...]  # the list fields of each item, and their level
    name_at: int | None = None  # where a port row holds its name (else sent beside it)


# a response key as GraphQL spells names: the only keys written into a builder's code
NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*\Z")


def _levels(c: _Compiler) -> tuple[tuple[Field, Level], ...]:
    return tuple((f, _interfaces_level(f.child)) for f in c.levels if f.child is not None)


@functools.lru_cache(maxsize=512)
def _interfaces_level(shape: Shape) -> Level:
    c = _Compiler()
    expression = c.obj(shape, "v0", None, top=True)
    # the names that order a page: from the rows when they hold them, else beside them
    name_at = next(
        (n for n, v in enumerate(c.values) if v == "v0.name" and c.columns[n].leaf), None
    )
    names = "[]" if name_at is not None else "collect(v0.name)"
    # a record per system, each as soon as its ports are read (the driver decodes one
    # while the server reads the next)
    text = f"""
    UNWIND $uids AS uid
    CALL (uid) {{
      MATCH (:System {{uid: uid}})-[:HAS_INTERFACE]->(v0:Interface)
      {c.clauses()}
      RETURN {names} AS names, collect({c.row()}) AS rows
    }}
    RETURN uid, names, rows"""
    query = Query("reads.shaped.interfaces_of_systems", text)
    return Level(query, c.builder(expression), tuple(c.columns), (), name_at)


def _page_level(shape: Shape, page: str, name: str) -> Level:
    """A page of objects (``page`` binds ``v0`` and its sort ``key``) in ``shape``."""
    c = _Compiler()
    expression = c.obj(shape, "v0", None, top=True)
    text = f"""
    {page}
    {c.clauses()}
    WITH key, v0.uid AS uid, {c.row()} AS row
    ORDER BY key RETURN collect([uid, row]) AS found"""
    return Level(Query(name, text), c.builder(expression), tuple(c.columns), _levels(c))


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


def read(graph: Graph, tx: Tx, level: Level, params: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The page ``params`` asks for, each item a response map; None when a value does not
    fit its output type (the caller's general path reports it). The rows and maps hold no
    cycles: the garbage collector waits until they are built (``collector``)."""
    with collector.paused():
        return _read(graph, tx, level, params)


def _read(
    graph: Graph, tx: Tx, level: Level, params: dict[str, Any]
) -> list[dict[str, Any]] | None:
    found = graph.run(tx, level.query, **params)
    pairs = (found[0]["found"] or []) if found else []
    if not fits([row for _, row in pairs], level.columns):
        return None
    items = [(uid, level.build(row)) for uid, row in pairs]
    for f, below in level.levels:
        pages = graph.run(tx, below.query, uids=[uid for uid, _ in items])
        at = below.name_at
        by_uid = {}
        for page in pages:
            rows = page["rows"]
            names = page["names"] if at is None else [r[at] for r in rows]
            # ports sort by name: a name that is not a string is a misfit
            if not fits(rows, below.columns) or not set(map(type, names)) <= {str}:
                return None
            by_uid[page["uid"]] = (names, rows)
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
