"""Pure (device context -> config text) rendering with Jinja2, templates per NOS.

Public API:

- ``render(context, stage)``: a device's full configuration text at a lifecycle stage.
- ``incremental(nos, old_config, new_config)``: the per-device delta a commit applies;
  ``incremental_rollback`` what undoes it.
- ``remediation(nos, running, intended)`` / ``rollback(...)``: hier_config's commands
  from one eos/nxos/junos config to the other and back.
- ``render_configlet(configlet, context)``: one configlet, rendered in the sandbox;
  ``render_negation`` its negation; ``configlet_syntax_problem(source)`` checks a template.
- ``RendererError``, the root of ``RenderError`` / ``ConfigletError``: the renderers' own
  errors (the engine translates them at its edge, ``blueprint_engine.configs.rendering``).
"""

from renderers.configlets import render_configlet, render_negation
from renderers.configlets import syntax_problem as configlet_syntax_problem
from renderers.errors import ConfigletError, RendererError, RenderError
from renderers.incremental import incremental, incremental_rollback
from renderers.remediation import remediation, rollback
from renderers.render import render

__all__ = [
    "ConfigletError",
    "RenderError",
    "RendererError",
    "configlet_syntax_problem",
    "incremental",
    "incremental_rollback",
    "remediation",
    "render",
    "render_configlet",
    "render_negation",
    "rollback",
]
