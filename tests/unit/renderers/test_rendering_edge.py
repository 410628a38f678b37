"""The engine's edge to the renderers (``blueprint_engine.configs.rendering``): the renderers'
own errors reach the engine's callers as the engine's, with code, message and allowed
values kept, and the renderer's error as the cause."""

from __future__ import annotations

import pytest

import renderers
from blueprint_engine.configs import rendering
from blueprint_engine.errors import ConfigletError, RenderError, ValidationError
from renderers.context import Stage
from tests.unit.renderers.render_examples import load_example


def test_a_render_error_reaches_the_engine_as_its_render_error() -> None:
    with pytest.raises(RenderError) as raised:
        rendering.incremental("vyos", "a\n", "b\n")
    error = raised.value
    assert isinstance(error, ValidationError)
    assert error.code == "render_error"
    assert "unknown NOS 'vyos'" in error.message
    assert "linux_frr" in error.allowed
    assert isinstance(error.__cause__, renderers.RenderError)


def test_a_configlet_error_reaches_the_engine_as_its_configlet_error() -> None:
    context = load_example("leaf2")
    context["configlets"] = [{"name": "probe", "template": "{{ nope }}"}]
    with pytest.raises(ConfigletError) as raised:
        rendering.render(context, Stage.SERVICE)
    assert raised.value.code == "configlet_error"
    assert "'probe'" in raised.value.message
    assert isinstance(raised.value.__cause__, renderers.ConfigletError)


def test_what_renders_renders_the_same_through_the_edge() -> None:
    context = load_example("leaf2")
    assert rendering.render(context, Stage.SERVICE) == renderers.render(context, Stage.SERVICE)


def test_the_renderers_errors_are_not_the_engines() -> None:
    assert not issubclass(renderers.RendererError, ValidationError)
    with pytest.raises(renderers.RenderError) as raised:
        renderers.incremental("vyos", "a\n", "b\n")
    assert not isinstance(raised.value, ValidationError)
