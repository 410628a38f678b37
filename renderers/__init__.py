"""Pure (device context -> config text) rendering with Jinja2, templates per NOS.

Public API:

- ``render(context, stage)``: a device's full configuration text at a lifecycle stage.
- ``incremental(nos, old_config, new_config)``: the per-device delta a commit applies.
- ``render_configlet(configlet, context)``: one configlet, rendered in the sandbox.
- ``RenderError`` / ``ConfigletError``: both ``blueprint_engine.errors.ValidationError``.
"""

from renderers.configlets import render_configlet
from renderers.errors import ConfigletError, RenderError
from renderers.incremental import incremental
from renderers.render import render

__all__ = ["ConfigletError", "RenderError", "incremental", "render", "render_configlet"]
