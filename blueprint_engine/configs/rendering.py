"""The engine's edge to the renderers: rendering calls with the renderers' errors
translated into the engine's (``RenderError`` / ``ConfigletError``, both
``ValidationError``), as the workers translate NAPALM's. Everything outside the
renderers renders through here, never through ``renderers`` directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import renderers
from blueprint_engine.errors import ConfigletError, FabricError, RenderError
from renderers.context import ConfigletContext, DeviceContext, Nos, Stage


def translated(exc: renderers.RendererError) -> FabricError:
    """The engine's error for a renderer error: same code, message and allowed values."""
    kind = ConfigletError if isinstance(exc, renderers.ConfigletError) else RenderError
    return kind(exc.message, allowed=exc.allowed)


@contextmanager
def renderer_errors() -> Iterator[None]:
    try:
        yield
    except renderers.RendererError as exc:
        raise translated(exc) from exc


def render(context: DeviceContext, stage: Stage | str) -> str:
    """``renderers.render``: the device's complete configuration at ``stage``."""
    with renderer_errors():
        return renderers.render(context, stage)


def incremental(
    nos: Nos | str, old_config: str, new_config: str, negations: Sequence[tuple[str, str]] = ()
) -> str:
    """``renderers.incremental``: the delta from ``old_config`` to ``new_config`` (and the
    negations of removed configlets, on the NOSes that merge deltas)."""
    with renderer_errors():
        return renderers.incremental(nos, old_config, new_config, negations)


def incremental_rollback(nos: Nos | str, old_config: str, new_config: str) -> str:
    """``renderers.incremental_rollback``: what undoes the delta ``incremental`` gives."""
    with renderer_errors():
        return renderers.incremental_rollback(nos, old_config, new_config)


def configlet_syntax_problem(source: str) -> str | None:
    """None when ``source`` parses as a configlet template; else its line and problem."""
    return renderers.configlet_syntax_problem(source)


def render_configlet(configlet: ConfigletContext, context: DeviceContext) -> str:
    """``renderers.render_configlet``: one configlet's text for one device."""
    with renderer_errors():
        return renderers.render_configlet(configlet, context)


def render_negation(configlet: ConfigletContext, context: DeviceContext) -> str:
    """``renderers.render_negation``: what removes a configlet from one device."""
    with renderer_errors():
        return renderers.render_negation(configlet, context)
