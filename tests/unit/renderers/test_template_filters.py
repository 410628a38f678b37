"""The small filters templates use, and the shared environment."""

from __future__ import annotations

import jinja2
import pytest

from renderers.environment import build_environment, eos_speed, junos_speed, sort_prefixes


@pytest.mark.parametrize(
    ("mbps", "eos", "junos"),
    [
        (1000, "forced 1000full", "1g"),
        (10000, "forced 10000full", "10g"),
        (25000, "forced 25gfull", "25g"),
        (100000, "forced 100gfull", "100g"),
        (400000, "400g", "400g"),  # EOS has no `forced 400gfull` (AVD's schema refuses it)
        (800000, "800g-8", "800g"),
    ],
)
def test_speeds_are_spelled_the_way_each_nos_expects(mbps: int, eos: str, junos: str) -> None:
    assert eos_speed(mbps) == eos
    assert junos_speed(mbps) == junos


def test_prefixes_are_sorted_by_address_not_by_text_and_deduplicated() -> None:
    prefixes = ["10.100.2.0/24", "10.3.0.1/32", "10.0.0.12/32", "10.3.0.1/32"]
    assert sort_prefixes(prefixes) == ["10.0.0.12/32", "10.3.0.1/32", "10.100.2.0/24"]


def test_the_environment_is_built_once_and_is_strict() -> None:
    env = build_environment()
    assert build_environment() is env
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()
