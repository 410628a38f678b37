"""The types of staged edits: an edit, a diff entry, an edit kind, the context it runs in.

An edit is stored and sent as plain JSON, ``{"kind": str, "params": {...}}``. Each kind
has a typed parameter class (a frozen dataclass built by ``parse``, which refuses bad
parameters naming the field and what is allowed) and a handler that applies it in the
caller's transaction, returning the logical diff it made and the edits that undo it.
The one registry of kinds is ``edit_kinds.REGISTRY``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    Literal,
    NotRequired,
    Protocol,
    TypedDict,
    TypeVar,
)

from blueprint_engine.errors import ValidationError
from blueprint_engine.grammar import MAX_TEXT, Grammar, printable
from blueprint_engine.graph.db import Graph, Tx

if TYPE_CHECKING:
    from blueprint_engine.catalogue.entries import Catalogue


class Edit(TypedDict):
    kind: str
    params: dict[str, Any]


class DiffEntry(TypedDict):
    """One logical change: an item added or removed, or one field of it modified."""

    change: Literal["added", "removed", "modified"]
    kind: str  # the node label: System, Link, Resource...
    id: str
    field: NotRequired[str]  # modified: the field, e.g. "hostname", "endpoint_a"
    before: NotRequired[Any]
    after: NotRequired[Any]
    owner: NotRequired[str]  # an added Resource: the id of the item holding it


class NodeRef(TypedDict):
    """A node named by identity across transactions: (label, property, value)."""

    label: str
    prop: str
    value: Any


def added(kind: str, ident: str) -> DiffEntry:
    return {"change": "added", "kind": kind, "id": ident}


def removed(kind: str, ident: str) -> DiffEntry:
    return {"change": "removed", "kind": kind, "id": ident}


def modified(kind: str, ident: str, name: str, before: Any, after: Any) -> DiffEntry:
    return {
        "change": "modified",
        "kind": kind,
        "id": ident,
        "field": name,
        "before": before,
        "after": after,
    }


@dataclass
class Applied:
    diff: list[DiffEntry] = field(default_factory=list)
    inverse: list[Edit] = field(default_factory=list)  # applied in this order to undo


class CatalogueSource(Protocol):
    """Where additions find catalogue entries: a ``Catalogue`` or a ``CatalogueCache``."""

    def having(self, kind: str, name: str) -> Catalogue: ...

    def confirm(self, tx: Tx, entries: Iterable[tuple[str, str]]) -> None:
        """Check in ``tx`` that ``entries`` (kind, name) still exist as known."""


@dataclass(frozen=True)
class EditContext:
    graph: Graph
    tx: Tx
    blueprint: str
    registry: Mapping[str, EditKind[Any]]
    catalogue: CatalogueSource | None = None

    def design_catalogue(self, kind: str, name: str) -> Catalogue:
        """The catalogue holding ``name`` of ``kind`` (fixtures + created entries)."""
        if self.catalogue is None:
            raise ValidationError("this staging engine was built without a design catalogue")
        return self.catalogue.having(kind, name)


@dataclass(frozen=True)
class Params:
    """Base of every kind's parameters: ``KIND`` names the kind, ``as_edit`` is its JSON."""

    KIND: ClassVar[str]

    def as_edit(self) -> Edit:
        return {"kind": self.KIND, "params": {f.name: getattr(self, f.name) for f in fields(self)}}


P = TypeVar("P", bound=Params)


@dataclass(frozen=True)
class EditKind(Generic[P]):
    """A kind of edit: how its parameters parse and how it applies.

    ``public`` kinds are what an operator stages; the others are inverses and batches
    the engine generates (a restore, a deletion by identity, a rollback's batch).
    ``uses`` names the catalogue entries (kind, name) an edit builds from.
    ``check`` holds the grammars of the values: it runs when an edit is staged
    (``fresh``), not when the stored log is replayed, so a log entry that bypassed it
    still shows in the staged view, where the commit's build errors refuse it.
    """

    name: str
    parse: Callable[[Mapping[str, Any]], P]
    apply: Callable[[EditContext, P], Applied]
    public: bool = True
    check: Callable[[P], None] | None = None
    uses: Callable[[P], list[tuple[str, str]]] | None = None  # catalogue entries it needs

    def catalogue_uses(self, params: Mapping[str, Any]) -> list[tuple[str, str]]:
        return self.uses(self.parse(params)) if self.uses is not None else []

    def run(self, ctx: EditContext, params: Mapping[str, Any], fresh: bool = False) -> Applied:
        edit = self.parse(params)
        if fresh and self.check is not None:
            self.check(edit)
        return self.apply(ctx, edit)


def public_kinds(registry: Mapping[str, EditKind[Any]]) -> list[str]:
    return [name for name, kind in registry.items() if kind.public]


def apply_edit(ctx: EditContext, edit: Mapping[str, Any], fresh: bool = False) -> Applied:
    """Apply one edit of any registered kind in ``ctx.tx`` (``fresh``: being staged now)."""
    name = edit.get("kind")
    kind = ctx.registry.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ValidationError(f"unknown edit kind {name!r}", allowed=public_kinds(ctx.registry))
    params = edit.get("params") or {}
    if not isinstance(params, Mapping):
        raise ValidationError("edit params must be an object", allowed="a JSON object")
    return kind.run(ctx, params, fresh)


# -- parameter parsing helpers ---------------------------------------------------------
NAME = printable(MAX_TEXT)


def text(params: Mapping[str, Any], name: str, grammar: Grammar = NAME) -> str:
    """A required string parameter, checked against ``grammar``."""
    value = params.get(name)
    if value is None or value == "":
        raise ValidationError(f"missing parameter {name}", allowed=f"a string: {grammar.allowed}")
    grammar.check(f"parameter {name}", value)
    return str(value)


def choice(params: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise ValidationError(f"missing parameter {name}", allowed=allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ValidationError(f"unknown {name.replace('_', ' ')} {value!r}", allowed=allowed)
    return value


def mapping(params: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = params.get(name)
    if not isinstance(value, Mapping):
        raise ValidationError(f"parameter {name} must be an object", allowed="a JSON object")
    return dict(value)


def items(params: Mapping[str, Any], name: str, limit: int) -> list[Any]:
    value = params.get(name)
    if not isinstance(value, list):
        raise ValidationError(f"parameter {name} must be a list", allowed="a JSON array")
    if len(value) > limit:
        raise ValidationError(
            f"parameter {name} has {len(value)} items", allowed=f"at most {limit}"
        )
    return value
