"""Errors raised while rendering a device configuration."""

from __future__ import annotations

from blueprint_engine.errors import ValidationError


class RenderError(ValidationError):
    """A device context (or a template) that cannot be rendered for a NOS and stage."""

    code = "render_error"


class ConfigletError(ValidationError):
    """A configlet whose template fails, or tries to leave the sandbox."""

    code = "configlet_error"
