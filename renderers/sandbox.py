"""The configlet sandbox: Jinja2's immutable sandbox with resource limits.

Jinja2's sandbox refuses unsafe attributes and calls, but not work: ``'x' * 10**8``,
``range`` nested in ``range`` or a doubling ``namespace`` string would render (slowly,
hugely). Here every render has a budget (``Limits``): loop iterations, calls and filter
calls are steps, counted and checked against a deadline; every value an operator,
a call or a filter produces is bounded in size *before* it is computed where Python
would allocate it (``*``, ``**``, ``+``, ``~``, ``%``, widths and counts given to filters
and string methods), and after otherwise; the output is bounded as it streams.

Only a closed set of filters, globals and methods of plain values is reachable:
anything else is refused as leaving the sandbox.
"""

from __future__ import annotations

import contextvars
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.filters import FILTERS as DEFAULT_FILTERS
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer


@dataclass(frozen=True)
class Limits:
    """What one configlet may cost on one device."""

    output_chars: int = 64 * 1024  # the rendered text, and any value built on the way
    steps: int = 100_000  # loop iterations + calls + filter calls
    seconds: float = 1.0  # wall clock
    range_items: int = 10_000  # one range()
    int_bits: int = 4096  # integers built by * and **


DEFAULT_LIMITS = Limits()


class LimitExceeded(Exception):
    """A configlet went over one of its limits; the message says which and the bound."""


class Budget:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.left = limits.steps
        self.deadline = time.monotonic() + limits.seconds

    def tick(self, steps: int = 1) -> None:
        self.left -= steps
        if self.left < 0:
            raise LimitExceeded(
                f"more than {self.limits.steps} steps (loop iterations, calls and filters)"
            )
        if time.monotonic() > self.deadline:
            raise LimitExceeded(f"rendering took longer than {self.limits.seconds:g} s")


_BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("budget", default=None)


def _limits() -> Limits:
    budget = _BUDGET.get()
    return budget.limits if budget is not None else DEFAULT_LIMITS


def _tick(steps: int = 1) -> None:
    budget = _BUDGET.get()
    if budget is not None:  # None while Jinja folds constants at compile time
        budget.tick(steps)


def _size(value: Any) -> int:
    if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
        return len(value)
    return 0


def _bounded(value: Any, what: str) -> Any:
    limit = _limits().output_chars
    if _size(value) > limit:
        raise LimitExceeded(f"{what} would hold {_size(value)} items (at most {limit})")
    return value


def _check_size(size: int, what: str) -> None:
    limit = _limits().output_chars
    if size > limit:
        raise LimitExceeded(f"{what} would be {size} characters or items long (at most {limit})")


def _check_int_bits(bits: int, what: str) -> None:
    limit = _limits().int_bits
    if bits > limit:
        raise LimitExceeded(f"{what} would be a {bits}-bit integer (at most {limit} bits)")


_SPEC = re.compile(r"%[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")
_BRACE_SPEC = re.compile(r"\{[^{}]*\}")


def _check_format(fmt: str) -> None:
    """printf-style widths and precisions stay small (``%0100000000d`` would not)."""
    for match in _SPEC.finditer(fmt):
        for part in match.groups():
            if part == "*" or (part is not None and int(part) > 999):
                raise LimitExceeded(f"format width {part!r} in {match.group(0)!r} (at most 999)")


def _check_binop(operator: str, left: Any, right: Any) -> None:
    sequences = (str, list, tuple)
    if operator == "*":
        if isinstance(left, int) and isinstance(right, int):
            _check_int_bits(left.bit_length() + right.bit_length(), "a product")
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, sequences) and isinstance(count, int):
                _check_size(len(seq) * max(count, 0), "a repeated value")
    elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
        _check_int_bits(max(left.bit_length(), 1) * right, "a power")
    elif operator == "+" and isinstance(left, sequences) and isinstance(right, sequences):
        _check_size(len(left) + len(right), "a sum")
    elif operator == "%" and isinstance(left, str):
        _check_format(left)


# -- what a configlet may reach ------------------------------------------------------------
_STR_METHODS = frozenset(
    [
        "lower",
        "upper",
        "title",
        "capitalize",
        "casefold",
        "swapcase",
        "strip",
        "lstrip",
        "rstrip",
        "split",
        "rsplit",
        "splitlines",
        "startswith",
        "endswith",
        "find",
        "rfind",
        "index",
        "rindex",
        "count",
        "partition",
        "rpartition",
        "removeprefix",
        "removesuffix",
        "isdigit",
        "isalpha",
        "isalnum",
        "isspace",
        "islower",
        "isupper",
        "isdecimal",
        "isnumeric",
        "isidentifier",
    ]
)
_METHODS: Mapping[type, frozenset[str]] = {
    str: _STR_METHODS,
    dict: frozenset({"keys", "values", "items", "get"}),
    list: frozenset({"index", "count"}),
    tuple: frozenset({"index", "count"}),
    int: frozenset(),
    float: frozenset(),
    bool: frozenset(),
}
_WIDTH_FILTERS = {"center": "width", "indent": "width", "wordwrap": "width", "truncate": "length"}
FILTERS = frozenset(
    [
        "abs",
        "batch",
        "capitalize",
        "center",
        "count",
        "d",
        "default",
        "dictsort",
        "e",
        "escape",
        "first",
        "float",
        "forceescape",
        "format",
        "groupby",
        "indent",
        "int",
        "items",
        "join",
        "last",
        "length",
        "list",
        "lower",
        "map",
        "max",
        "min",
        "reject",
        "rejectattr",
        "replace",
        "reverse",
        "round",
        "safe",
        "select",
        "selectattr",
        "slice",
        "sort",
        "string",
        "striptags",
        "sum",
        "title",
        "tojson",
        "trim",
        "truncate",
        "unique",
        "upper",
        "urlencode",
        "wordcount",
        "wordwrap",
    ]
)


def _join_size(value: Any, sep: str = "", *args: Any, **kwargs: Any) -> int:
    if isinstance(value, str):
        value = list(value)
    items = list(value) if isinstance(value, Iterable) else []
    return sum(len(str(item)) for item in items) + len(str(sep)) * max(len(items) - 1, 0)


def _replace_size(value: Any, old: Any = "", new: Any = "", count: Any = None) -> int:
    text, old, new = str(value), str(old), str(new)
    hits = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new) - len(old), 0)


def _indent_size(value: Any, width: Any = 4, *args: Any, **kwargs: Any) -> int:
    columns: int = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    return len(str(value)) + (str(value).count("\n") + 1) * max(columns, 0)


_SIZE_BEFORE: Mapping[str, Callable[..., int]] = {
    "join": _join_size,
    "replace": _replace_size,
    "indent": _indent_size,
}


def _check_args(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    limit = _limits().output_chars
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > limit:
            raise LimitExceeded(f"{name}: argument {value} is over {limit}")
        _bounded(value, f"an argument of {name}")


def _limited_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    pass_arg = getattr(func, "jinja_pass_arg", None)

    def run(*args: Any, **kwargs: Any) -> Any:
        _tick()
        own = args[1:] if pass_arg is not None else args  # after the context/environment
        _check_args(name, own, kwargs)
        if name == "format" and own:
            _check_format(str(own[0]))
        if name in _SIZE_BEFORE and own:
            _check_size(_SIZE_BEFORE[name](*own, **kwargs), f"the result of {name}")
        return _bounded(func(*args, **kwargs), f"the result of {name}")

    if pass_arg is not None:
        run.jinja_pass_arg = pass_arg  # type: ignore[attr-defined]
    return run


def _limited_range(*args: int) -> range:
    limit = _limits().range_items
    numbers = range(*args)
    if len(numbers) > limit:
        raise LimitExceeded(f"range of {len(numbers)} items (at most {limit})")
    return numbers


class _Limited(Extension):
    """Holds what the rewritten template calls: every loop and every ``~`` go through it."""

    identifier = "fabricgraph.limits"

    @staticmethod
    def loop(iterable: Any) -> Iterator[Any]:
        for item in iterable:
            _tick()
            yield item

    @staticmethod
    def concat(*parts: Any) -> str:
        texts = [str(part) for part in parts]
        _check_size(sum(len(t) for t in texts), "a joined string")
        return "".join(texts)


class _Rewrite(NodeTransformer):
    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Call(
            nodes.ExtensionAttribute(_Limited.identifier, "loop"),
            [node.iter],
            [],
            None,
            None,
            lineno=node.lineno,
        )
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        attr = nodes.ExtensionAttribute(_Limited.identifier, "concat")
        return nodes.Call(attr, list(node.nodes), [], None, None, lineno=node.lineno)


class LimitedSandbox(ImmutableSandboxedEnvironment):
    """Immutable sandbox + budgets; ``intercepted_binops`` are checked before computing."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self) -> None:
        super().__init__(
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
            extensions=[_Limited],
        )
        self.filters = {
            name: _limited_filter(name, DEFAULT_FILTERS[name]) for name in sorted(FILTERS)
        }
        self.globals = {
            "range": _limited_range,
            "dict": dict,
            "namespace": self.globals["namespace"],
            "joiner": self.globals["joiner"],
            "cycler": self.globals["cycler"],
        }

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        rewritten: nodes.Template = _Rewrite().visit(tree)
        return rewritten

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        allowed = _METHODS.get(type(obj))
        if allowed is not None and callable(value):
            return attr in allowed
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> None:
        """``str.format``/``format_map`` are not offered (widths unbounded): refused as
        unsafe attributes; the ``format`` filter, whose widths are checked, remains."""
        return None

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return _bounded(super().call_binop(context, operator, left, right), "a value")

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(__obj, jinja2.Undefined):  # raises its own error (an unsafe attribute)
            return super().call(__context, __obj, *args, **kwargs)
        _tick()
        name = getattr(__obj, "__name__", type(__obj).__name__)
        _check_args(str(name), args, kwargs)
        return _bounded(super().call(__context, __obj, *args, **kwargs), f"the result of {name}")


def render_limited(template: jinja2.Template, variables: dict[str, Any], limits: Limits) -> str:
    """``template`` rendered within ``limits``; ``LimitExceeded`` when it goes over one."""
    token = _BUDGET.set(Budget(limits))
    try:
        size, parts = 0, []
        for part in template.generate(variables):
            size += len(part)
            if size > limits.output_chars:
                raise LimitExceeded(f"output over {limits.output_chars} characters")
            parts.append(part)
        return "".join(parts)
    finally:
        _BUDGET.reset(token)
