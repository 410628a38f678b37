"""A graphql-core execution context that completes the blueprint's nested types fast.

Profiling the nested read (500 leafs, every port, links and both far ends) showed the
time in graphql-core's per-field machinery, not in Neo4j: for each of ~240,000 fields
it builds a resolve info, wraps the resolver in Strawberry's extension layer, checks
for awaitables three times and walks the type wrappers. For the types whose children
a level read attaches before execution (``System``, ``Interface``, ``Link``: see
``api.graphql.levels``), that work is the same for every row, so it is planned once
per selection set and type and then applied to each object: an attribute read or a
direct call of the typed resolver method, the leaf coerced by its scalar, nested
objects completed by their own plan.

Before that, a list field of a blueprint (``systems``, ``links``) whose selection the
engine can read in its shape (``api.graphql.shapes``) gets that shape: its resolver
reads every level already shaped as the response, and its answer (``Completed``) is
returned as it is, with no completion at all below it.

The semantics stay graphql-core's: a value that is not ready (an awaitable: a child
the level read did not attach), an argument that is not a plain value, a null in a
non-null position or any exception abandons the plan for that object and the
standard completion runs instead, with its own errors and paths.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLString,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.values import get_argument_values
from graphql.pyutils import AwaitableOrValue, Path, UndefinedType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.graphql.shapes import Completed, Shaper
from api.graphql.types import Interface, Link, System

PLANNED_TYPES: tuple[type, ...] = (System, Interface, Link)
DEFINITION = "strawberry-definition"
Complete = Callable[[Any], Any]
# scalars whose output for a value of exactly this Python type is the value itself
PLAIN: dict[str, type] = {
    GraphQLString.name: str,
    GraphQLID.name: str,
    GraphQLInt.name: int,
    GraphQLBoolean.name: bool,
    GraphQLFloat.name: float,
}


class Unplanned(Exception):
    """This object cannot be completed by its plan: the standard completion runs."""


# values that are never awaitable: checked by type first (a set lookup)
READY: frozenset[type] = frozenset({str, int, float, bool, type(None), list, *PLANNED_TYPES})


def _awaitable(value: Any) -> bool:
    return type(value) not in READY and hasattr(value, "__await__")


# list fields of a blueprint that can be read in the client's shape
SHAPED_FIELDS = frozenset({"systems", "links"})


class PlannedExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[tuple[str, int], tuple[FieldDetailsList, Complete | None]] = {}
        self._shaper = Shaper(self)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> AwaitableOrValue[Any] | UndefinedType:
        if parent_type.name == "Blueprint":
            self._offer_shape(parent_type, field_details_list, path)
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _offer_shape(
        self, parent_type: GraphQLObjectType, details: FieldDetailsList, path: Path
    ) -> None:
        """The shape of a ``systems``/``links`` selection, for its resolver to read in."""
        name = details[0].node.name.value
        context = self.context_value
        if name not in SHAPED_FIELDS or not getattr(context, "shaped", False):
            return
        output: Any = parent_type.fields[name].type
        while isinstance(output, (GraphQLNonNull, GraphQLList)):
            output = output.of_type
        if isinstance(output, GraphQLObjectType):
            shape = self._shaper.shape(output, details)
            if shape is not None:
                context.shapes[tuple(path.as_list())] = shape

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[Any]:
        if type(result) is Completed:
            return result.items
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        plan = self._plan(return_type, field_details_list)
        if plan is not None:
            try:
                done: dict[str, Any] = plan(result)
                return done
            except Exception:
                pass
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _plan(self, object_type: GraphQLObjectType, details: FieldDetailsList) -> Complete | None:
        key = (object_type.name, id(details))
        cached = self._plans.get(key)
        if cached is None:
            plan = self._build(object_type, details)
            self._plans[key] = cached = (details, plan)  # keeps ``details`` alive for its id
        return cached[1]

    def _build(self, object_type: GraphQLObjectType, details: FieldDetailsList) -> Complete | None:
        definition = object_type.extensions.get(DEFINITION)
        if getattr(definition, "origin", None) not in PLANNED_TYPES:
            return None
        grouped, defer_usages, _ = self.collect_subfields(object_type, details)
        if defer_usages:
            return None
        steps: list[tuple[str, Callable[[Any], Any], Complete]] = []
        for response_key, field_details in grouped.items():
            step = self._step(object_type, field_details)
            if step is None:
                return None
            steps.append((response_key, *step))

        def complete(source: Any) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for response_key, get, finish in steps:
                value = get(source)
                if _awaitable(value):
                    if hasattr(value, "close"):
                        value.close()  # never awaited: the standard path calls again
                    raise Unplanned(response_key)
                out[response_key] = finish(value)
            return out

        return complete

    def _step(
        self, object_type: GraphQLObjectType, field_details: FieldDetailsList
    ) -> tuple[Callable[[Any], Any], Complete] | None:
        node = field_details[0].node
        name = node.name.value
        if name == "__typename":
            type_name = object_type.name
            return (lambda _source: type_name), (lambda value: value)
        field_def = object_type.fields.get(name)
        field = field_def.extensions.get(DEFINITION) if field_def else None
        if field_def is None or field is None:
            return None
        finish = self._completer(field_def.type, field_details)
        if finish is None:
            return None
        resolver = field.base_resolver
        if resolver is None:
            attribute = field.python_name
            return (lambda source: getattr(source, attribute)), finish
        if resolver.info_parameter is not None or resolver.root_parameter is not None:
            return None
        values = get_argument_values(field_def, node, self.variable_values)
        if not all(isinstance(v, (str, int, float, bool, type(None))) for v in values.values()):
            return None
        by_graphql = {a.graphql_name or a.python_name: a.python_name for a in field.arguments}
        kwargs = {by_graphql.get(k, k): v for k, v in values.items()}
        call = resolver.wrapped_func
        return (lambda source: call(source, **kwargs)), finish

    def _completer(
        self, output: GraphQLOutputType, field_details: FieldDetailsList
    ) -> Complete | None:
        if isinstance(output, GraphQLNonNull):
            inner = self._completer(output.of_type, field_details)
            if inner is None:
                return None

            def non_null(value: Any) -> Any:
                done = inner(value)
                if done is None:
                    raise Unplanned("null in a non-null position")
                return done

            return non_null
        if isinstance(output, GraphQLList):
            item = self._completer(output.of_type, field_details)
            if item is None:
                return None
            return lambda value: None if value is None else [item(v) for v in value]
        if isinstance(output, GraphQLScalarType):
            return self._leaf(output)
        if isinstance(output, GraphQLObjectType):
            plan = self._plan(output, field_details)
            if plan is None:
                return None
            return lambda value: None if value is None else plan(value)
        return None  # enums, interfaces and unions take the standard path

    @staticmethod
    def _leaf(scalar: GraphQLScalarType) -> Complete:
        plain = PLAIN.get(scalar.name)
        serialize = scalar.serialize

        def leaf(value: Any) -> Any:
            if value is None or type(value) is plain:
                return value
            done = serialize(value)
            if done is None:
                raise Unplanned("a leaf value its scalar refuses")
            return done

        return leaf
