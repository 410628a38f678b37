"""Operator configlets, rendered in an immutable Jinja2 sandbox with resource limits.

A configlet sees only the property sets (as ``property_sets`` and, for keys that
are identifiers, as top-level names) and a few harmless facts about the device.
Whatever goes wrong (a syntax error, an undefined name, an escape attempt, a limit of
``renderers.sandbox``, a Python error such as ``OverflowError``) is a ``ConfigletError``
naming the configlet, the device and the configlet's line.
"""

from __future__ import annotations

import functools
import traceback
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError

from renderers.context import ConfigletContext, DeviceContext
from renderers.errors import ConfigletError
from renderers.sandbox import DEFAULT_LIMITS, LimitedSandbox, LimitExceeded, Limits, render_limited

SAFE_FIELDS = ("hostname", "role", "nos", "asn", "router_id", "loopback")
ALLOWED = "a Jinja2 template using property set values and " + ", ".join(SAFE_FIELDS)


@functools.lru_cache(maxsize=1)
def build_sandbox() -> LimitedSandbox:
    return LimitedSandbox()


@functools.lru_cache(maxsize=512)
def _compile(source: str) -> jinja2.Template:
    """Configlet sources repeat across devices; parse each distinct one once."""
    return build_sandbox().from_string(source)


def syntax_problem(source: str) -> str | None:
    """None when ``source`` parses as a configlet template; else the line and the problem."""
    try:
        _compile(source)
    except jinja2.TemplateSyntaxError as exc:
        return f"line {exc.lineno}: {exc.message}"
    except Exception as exc:  # limits folded at compile time, odd input: the operator's
        return f"{type(exc).__name__}: {exc}"
    return None


def configlet_variables(context: DeviceContext) -> dict[str, Any]:
    properties = dict(context.get("property_sets", {}))
    variables: dict[str, Any] = {k: v for k, v in properties.items() if k.isidentifier()}
    variables.update({f: context[f] for f in SAFE_FIELDS if f in context})  # type: ignore[literal-required]
    variables["property_sets"] = properties
    return variables


def template_line(exc: BaseException) -> int | None:
    """The configlet line an error was raised at (Jinja2 maps its frames to ``<template>``)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.lineno
    line = None
    for frame, number in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == "<template>":
            line = number
    return line


def _error(name: str, device: str, exc: Exception) -> ConfigletError:
    line = template_line(exc)
    where = f"configlet {name!r} on {device}" + (f", line {line}" if line else "")
    detail = str(exc) if str(exc) else type(exc).__name__
    if isinstance(exc, SecurityError):
        return ConfigletError(
            f"{where}: tried to leave the sandbox: {detail}",
            allowed="property set values and " + ", ".join(SAFE_FIELDS),
        )
    if isinstance(exc, LimitExceeded):
        return ConfigletError(
            f"{where}: over its limits: {detail}",
            allowed=f"{ALLOWED}, within its limits (output, steps, time)",
        )
    if isinstance(exc, jinja2.TemplateError):
        return ConfigletError(f"{where}: cannot be rendered: {detail}", allowed=ALLOWED)
    return ConfigletError(
        f"{where}: cannot be rendered: {type(exc).__name__}: {detail}", allowed=ALLOWED
    )


def render_template(
    name: str, source: str, context: DeviceContext, limits: Limits = DEFAULT_LIMITS
) -> str:
    """``source`` rendered for the device of ``context``, blank lines and trailing spaces
    dropped; any failure is a ``ConfigletError`` naming ``name``, the device and the line."""
    try:
        text = render_limited(_compile(source), configlet_variables(context), limits)
    except RecursionError as exc:
        raise _error(name, context["hostname"], LimitExceeded("recursion too deep")) from exc
    except Exception as exc:  # a configlet is operator input: every failure is its error
        raise _error(name, context["hostname"], exc) from exc
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())


def render_configlet(
    configlet: ConfigletContext, context: DeviceContext, limits: Limits = DEFAULT_LIMITS
) -> str:
    """The configlet's text for this device; ``ConfigletError`` names what went wrong."""
    return render_template(configlet["name"], configlet["template"], context, limits)


def render_negation(
    configlet: ConfigletContext, context: DeviceContext, limits: Limits = DEFAULT_LIMITS
) -> str:
    """The configlet's negation for this device ("" when it has none)."""
    source = configlet.get("negation")
    if not source:
        return ""
    return render_template(f"{configlet['name']} (negation)", source, context, limits)
