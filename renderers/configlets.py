"""Operator configlets, rendered in an immutable Jinja2 sandbox.

A configlet sees only the property sets (as ``property_sets`` and, for keys that
are identifiers, as top-level names) and a few harmless facts about the device.
"""

from __future__ import annotations

import functools
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from renderers.context import ConfigletContext, DeviceContext
from renderers.errors import ConfigletError

SAFE_FIELDS = ("hostname", "role", "nos", "asn", "router_id", "loopback")


@functools.lru_cache(maxsize=1)
def build_sandbox() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


@functools.lru_cache(maxsize=512)
def _compile(source: str) -> jinja2.Template:
    """Configlet sources repeat across devices; parse each distinct one once."""
    return build_sandbox().from_string(source)


def configlet_variables(context: DeviceContext) -> dict[str, Any]:
    properties = dict(context.get("property_sets", {}))
    variables: dict[str, Any] = {k: v for k, v in properties.items() if k.isidentifier()}
    variables.update({f: context[f] for f in SAFE_FIELDS if f in context})  # type: ignore[literal-required]
    variables["property_sets"] = properties
    return variables


def render_configlet(configlet: ConfigletContext, context: DeviceContext) -> str:
    """The configlet's text for this device; ``ConfigletError`` names what went wrong."""
    name = configlet["name"]
    try:
        template = _compile(configlet["template"])
        text = template.render(configlet_variables(context))
    except SecurityError as exc:
        raise ConfigletError(
            f"configlet {name!r} tried to leave the sandbox: {exc}",
            allowed="property set values and " + ", ".join(SAFE_FIELDS),
        ) from exc
    except jinja2.TemplateError as exc:
        raise ConfigletError(
            f"configlet {name!r} cannot be rendered: {exc}",
            allowed="a Jinja2 template using property set values and " + ", ".join(SAFE_FIELDS),
        ) from exc
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())
