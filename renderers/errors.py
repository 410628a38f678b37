"""Errors raised while rendering a device configuration: the renderers' own root.

The renderers know nothing of the engine's errors; the engine translates these at its
edge (``blueprint_engine.configs.rendering``), as the workers translate NAPALM's.
"""

from __future__ import annotations

from collections.abc import Sequence


class RendererError(Exception):
    """Root of the renderers' errors; ``message`` says what was wrong, ``allowed`` what
    would have been accepted, ``code`` is stable and machine-readable."""

    code = "render_error"

    def __init__(self, message: str, *, allowed: str | Sequence[str] = "") -> None:
        self.message = message
        self.allowed = allowed if isinstance(allowed, str) else ", ".join(allowed)
        text = message if not self.allowed else f"{message} (allowed: {self.allowed})"
        super().__init__(text)


class RenderError(RendererError):
    """A device context (or a template) that cannot be rendered for a NOS and stage."""

    code = "render_error"


class ConfigletError(RendererError):
    """A configlet whose template fails, or tries to leave the sandbox."""

    code = "configlet_error"
