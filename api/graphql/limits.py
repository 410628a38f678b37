"""What one GraphQL document may cost: tokens, depth, aliases, fields (by caller).

The token cap is applied while parsing (graphql-core's ``max_tokens``); depth, aliases
and fields are measured on the parsed document with fragments expanded (each fragment
measured once, so a fragment bomb costs what it expands to without being expanded).
Anonymous callers get the smaller budget. Introspection counts like any field (it is
the one recursive part of the schema): both budgets let the standard introspection query
through (depth 15), so GraphiQL and schema-driven clients work.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension


@dataclass(frozen=True)
class Budget:
    tokens: int
    depth: int
    aliases: int
    fields: int


ANONYMOUS_BUDGET = Budget(tokens=2_000, depth=16, aliases=20, fields=300)
TOKEN_BUDGET = Budget(tokens=10_000, depth=24, aliases=100, fields=2_000)


@dataclass(frozen=True)
class Cost:
    depth: int
    aliases: int
    fields: int


def _selections(selection_set: SelectionSetNode | None) -> Iterator[object]:
    return iter(selection_set.selections if selection_set else ())


def measure(document: DocumentNode) -> Cost:
    """Depth, aliases and fields of every operation, fragments expanded (memoised)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    memo: dict[str, Cost] = {}

    def of_set(selection_set: SelectionSetNode | None, seen: frozenset[str]) -> Cost:
        depth = aliases = fields = 0
        for selection in _selections(selection_set):
            if isinstance(selection, FieldNode):
                inner = of_set(selection.selection_set, seen)
                depth = max(depth, inner.depth + 1)
                aliases += inner.aliases + (1 if selection.alias else 0)
                fields += inner.fields + 1
            elif isinstance(selection, InlineFragmentNode):
                inner = of_set(selection.selection_set, seen)
                depth, aliases = max(depth, inner.depth), aliases + inner.aliases
                fields += inner.fields
            elif isinstance(selection, FragmentSpreadNode):
                inner = of_fragment(selection.name.value, seen)
                depth, aliases = max(depth, inner.depth), aliases + inner.aliases
                fields += inner.fields
        return Cost(depth, aliases, fields)

    def of_fragment(name: str, seen: frozenset[str]) -> Cost:
        if name in memo:
            return memo[name]
        fragment = fragments.get(name)
        if fragment is None or name in seen:  # unknown or cyclic: validation reports it
            return Cost(0, 0, 0)
        memo[name] = of_set(fragment.selection_set, seen | {name})
        return memo[name]

    total = Cost(0, 0, 0)
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            cost = of_set(definition.selection_set, frozenset())
            total = Cost(
                max(total.depth, cost.depth),
                total.aliases + cost.aliases,
                total.fields + cost.fields,
            )
    return total


def over_budget(cost: Cost, budget: Budget, who: str) -> str | None:
    """A message naming the first limit passed, or None."""
    for name, used, allowed in (
        ("levels of depth", cost.depth, budget.depth),
        ("aliases", cost.aliases, budget.aliases),
        ("fields selected", cost.fields, budget.fields),
    ):
        if used > allowed:
            return (
                f"the query has {used} {name}; {who} may use at most {allowed} "
                "(ask for less, or send a token for the larger budget)"
            )
    return None


class QueryLimits(SchemaExtension):
    """Enforces ``Budget`` per caller (anonymous or with a token).

    Runs after the validation cache in ``on_validate``: a document the schema accepts
    but that is over budget gets one error and never executes.
    """

    def _budget(self) -> tuple[Budget, str]:
        caller = getattr(self.execution_context.context, "caller", None)
        if caller is not None and getattr(caller, "authenticated", False):
            return TOKEN_BUDGET, "a caller with a token"
        return ANONYMOUS_BUDGET, "an anonymous caller"

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self._budget()[0].tokens
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and not context.pre_execution_errors:
            budget, who = self._budget()
            try:
                problem = over_budget(measure(document), budget, who)
            except RecursionError:
                problem = f"the query nests too deeply; {who} may use depth {budget.depth}"
            if problem is not None:
                context.pre_execution_errors = [
                    GraphQLError(problem, extensions={"code": "query_too_costly"})
                ]
        yield
