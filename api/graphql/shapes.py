"""The selection below ``Blueprint.systems`` / ``Blueprint.links`` as an engine ``Shape``.

graphql-core has parsed and validated the document and applied the budgets of
``api.graphql.limits``; its own field collection (fragments, ``@skip``/``@include``,
merged fields) groups each selection set by response key, in response order. That is
translated here into a ``blueprint_engine.shaped.Shape``: per response key the model's
field and its output type, read from the schema (so the checks the engine applies are
those of the schema the client sees). Anything not expressible (an enum or float
field, a field with a resolver of its own that is not a child level, ``@defer``, an
argument that does not coerce) makes the whole selection unplanned (None): the field
then runs the general path.
"""

from __future__ import annotations

from typing import Any, cast

from graphql import (
    GraphQLBoolean,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLString,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.values import get_argument_values

from blueprint_engine import reads
from blueprint_engine.shaped import OBJECTS, Field, Kind, Leaf, LeafType, Shape

DEFINITION = "strawberry-definition"
KINDS: dict[str, Kind] = {"System": "System", "Interface": "Interface", "Link": "Link"}
SCALARS: dict[str, LeafType] = {
    GraphQLString.name: "STRING",
    GraphQLID.name: "STRING",
    GraphQLInt.name: "INTEGER",
    GraphQLBoolean.name: "BOOLEAN",
}
# fields with a resolver that the engine reads as a child: its single objects below an
# object, and the list level of a system's interfaces
CHILDREN = {(kind, name) for kind, objects in OBJECTS.items() for name in objects}
CHILDREN |= {("System", "interfaces")}


class Unplanned(Exception):
    """The selection has something the engine's shaped read does not cover."""


def _leaf(output: GraphQLOutputType) -> Leaf:
    nullable = not isinstance(output, GraphQLNonNull)
    inner = output.of_type if isinstance(output, GraphQLNonNull) else output
    if isinstance(inner, GraphQLList):
        item = inner.of_type
        item_nullable = not isinstance(item, GraphQLNonNull)
        scalar = item.of_type if isinstance(item, GraphQLNonNull) else item
        if not isinstance(scalar, GraphQLScalarType) or scalar.name not in SCALARS:
            raise Unplanned(str(output))
        return Leaf(SCALARS[scalar.name], nullable, True, item_nullable)
    if not isinstance(inner, GraphQLScalarType) or inner.name not in SCALARS:
        raise Unplanned(str(output))
    return Leaf(SCALARS[inner.name], nullable)


class Shaper:
    """Builds shapes with an execution context's field collection and variables."""

    def __init__(self, context: Any) -> None:
        self.context = context  # a graphql-core ExecutionContext

    def shape(self, object_type: GraphQLObjectType, details: FieldDetailsList) -> Shape | None:
        try:
            return self._shape(object_type, details)
        except Unplanned:
            return None
        except Exception:  # an argument that does not coerce: the general path says so
            return None

    def _shape(self, object_type: GraphQLObjectType, details: FieldDetailsList) -> Shape:
        kind = KINDS.get(object_type.name)
        if kind is None:
            raise Unplanned(object_type.name)
        grouped, defer_usages, _ = self.context.collect_subfields(object_type, details)
        if defer_usages:
            raise Unplanned("@defer")
        return Shape(kind, tuple(self._field(kind, object_type, k, d) for k, d in grouped.items()))

    def _field(
        self, kind: Kind, object_type: GraphQLObjectType, key: str, details: FieldDetailsList
    ) -> Field:
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            return Field(key, name)
        field_def = object_type.fields[name]
        definition = field_def.extensions.get(DEFINITION)
        python_name = cast(str, getattr(definition, "python_name", name))
        output = field_def.type
        nullable = not isinstance(output, GraphQLNonNull)
        named = output.of_type if isinstance(output, GraphQLNonNull) else output
        while isinstance(named, (GraphQLList, GraphQLNonNull)):
            named = named.of_type
        if (kind, python_name) not in CHILDREN:
            if getattr(definition, "base_resolver", None) is not None:
                raise Unplanned(f"{kind}.{name} has a resolver")
            return Field(key, python_name, leaf=_leaf(output))
        if not isinstance(named, GraphQLObjectType):
            raise Unplanned(f"{kind}.{name}")
        child = self._shape(named, details)
        if python_name != "interfaces":
            return Field(key, python_name, child=child, nullable=nullable)
        args = get_argument_values(field_def, node, self.context.variable_values)
        if args.get("tag") is not None:  # a filter the shaped read does not apply
            raise Unplanned(f"{kind}.{name}(tag:)")
        first = int(args.get("first", reads.MAX_PAGE))
        after = args.get("after")
        return Field(key, python_name, child=child, first=reads.clamp(first), after=after)


class Completed:
    """The answer of a list field read in its shape: its items are the response's maps
    already, and the execution context returns them as they are."""

    __slots__ = ("items",)

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items


PathKey = tuple[str | int, ...]
