"""Configlet resource limits: work, sizes and time are bounded; every failure is the
configlet's error naming the configlet, the device and the line."""

from __future__ import annotations

import pytest
from render_examples import load_example

from renderers import ConfigletError, render_configlet
from renderers.configlets import render_template
from renderers.sandbox import Limits


def attempt(template: str, limits: Limits | None = None) -> str:
    context = load_example("leaf2")
    if limits is None:
        return render_configlet({"name": "greedy", "template": template}, context)
    return render_template("greedy", template, context, limits)


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ 'x' * 10**8 }}", "a repeated value would be 100000000 characters"),
        ("{{ ['x'] * 10**8 }}", "a repeated value"),
        ("{{ 7 ** 100000 }}", "a power would be"),
        ("{{ 'x'|center(10**8) }}", "center: argument 100000000"),
        ("{{ '%0100000000d' % 1 }}", "format width"),
        ("{{ '%0100000000d'|format(1) }}", "format width"),
        ("{{ ('x' * 60000)|list|join('y' * 60000) }}", "the result of join would be"),
        ("{{ ('x' * 60000)|replace('x', 'y' * 1000) }}", "the result of replace would be"),
        ("{{ range(20000)|list }}", "range of 20000 items"),
        (
            "{% set ns = namespace(s='x') %}{% for i in range(40) %}"
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
            "a joined string would be 131072",
        ),
        (
            "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
            "more than 100000 steps",
        ),
        ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "recursion too deep"),
    ],
)
def test_a_configlet_over_its_limits_is_its_error(template: str, reason: str) -> None:
    with pytest.raises(ConfigletError, match="over its limits") as raised:
        attempt(template)
    assert reason in raised.value.message
    assert "configlet 'greedy' on leaf2" in raised.value.message


def test_the_output_is_bounded_as_it_streams() -> None:
    template = "{% for i in range(9000) %}{{ 'abcdefghij' }}\n{% endfor %}"
    with pytest.raises(ConfigletError, match="output over 65536 characters"):
        attempt(template)
    assert len(attempt(template, Limits(output_chars=100_000))) == 9000 * 11 - 1


def test_rendering_is_bounded_in_time() -> None:
    with pytest.raises(ConfigletError, match="took longer than 0 s"):
        attempt("{% for i in range(3) %}{{ i }}{% endfor %}", Limits(seconds=0.0))


def test_python_errors_do_not_escape_the_configlet_error() -> None:
    for template in (
        "{{ 1 / 0 }}",
        "{{ (10 ** 400) * 1.0 }}",  # OverflowError
        "{{ 'abc'.index('z') }}",  # ValueError
        "{{ 'a' < 1 }}",
    ):
        with pytest.raises(ConfigletError, match=r"cannot be rendered: [A-Za-z]+Error"):
            attempt(template)


def test_errors_name_the_line_of_the_configlet() -> None:
    with pytest.raises(ConfigletError, match=r"on leaf2, line 3: cannot be rendered") as raised:
        attempt("ntp server {{ syslog_host }}\nbanner ok\n{{ no_such_key }}\n")
    assert "no_such_key" in raised.value.message
    with pytest.raises(ConfigletError, match=r"line 2: cannot be rendered"):
        attempt("ok\n{% if %}")
    with pytest.raises(ConfigletError, match=r"line 2: tried to leave the sandbox"):
        attempt("ok\n{{ ''.__class__.__mro__ }}")


@pytest.mark.parametrize(
    "template",
    ["{{ 'x'.ljust(10**8) }}", "{{ 'a{}'.format(1) }}", "{{ lipsum(10**6) }}"],
)
def test_only_non_amplifying_methods_and_globals_are_offered(template: str) -> None:
    with pytest.raises(ConfigletError, match=r"sandbox|undefined"):
        attempt(template)


def test_ordinary_configlets_still_render() -> None:
    text = attempt(
        "ntp server {{ syslog_host }}\n"
        "{% for n in [1, 2] %}snmp-server host 10.0.0.{{ n }}\n{% endfor %}"
        "{{ hostname|upper }} {{ 'a,b'.split(',')|join(' ') }} {{ '%05d'|format(42) }}"
    )
    assert text.splitlines() == [
        "ntp server 192.168.100.5",
        "snmp-server host 10.0.0.1",
        "snmp-server host 10.0.0.2",
        "LEAF2 a b 00042",
    ]
