"""Configlets: property sets in, sandboxed, errors that name the configlet."""

from __future__ import annotations

import pytest
from render_examples import load_example

from renderers import ConfigletError, render, render_configlet
from renderers.context import ConfigletContext, Nos, Stage
from renderers.frr_document import FRR, INTERFACES, parse_document


def configlet(template: str, name: str = "probe") -> ConfigletContext:
    return {"name": name, "template": template}


def test_configlet_reads_property_sets_and_safe_device_facts() -> None:
    context = load_example("leaf2")
    text = render_configlet(
        configlet("{{ hostname }} {{ syslog_host }} {{ property_sets['mgmt_subnet'] }}"), context
    )
    props = context["property_sets"]
    assert text == f"{context['hostname']} {props['syslog_host']} {props['mgmt_subnet']}"


@pytest.mark.parametrize(
    "escape",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ property_sets.__class__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ property_sets.update({'x': '1'}) }}",
    ],
)
def test_sandbox_escape_attempts_are_refused_naming_the_configlet(escape: str) -> None:
    with pytest.raises(ConfigletError, match="'evil'"):
        render_configlet(configlet(escape, name="evil"), load_example("leaf2"))


def test_undefined_name_in_a_configlet_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(ConfigletError, match="no_such_property"):
        render_configlet(configlet("logging host {{ no_such_property }}"), load_example("leaf2"))


def test_configlet_syntax_error_names_the_configlet() -> None:
    with pytest.raises(ConfigletError, match="'broken'"):
        render_configlet(configlet("{% if %}", name="broken"), load_example("leaf2"))


def test_configlet_errors_are_validation_errors_with_allowed_values() -> None:
    context = load_example("leaf2")
    context["configlets"] = [configlet("{{ nope }}")]
    with pytest.raises(ConfigletError) as raised:
        render(context, Stage.SERVICE)
    assert raised.value.code == "configlet_error"
    assert "property set" in raised.value.allowed


def test_configlets_are_appended_in_service_and_drain_only() -> None:
    context = load_example("leaf2", Nos.EOS)
    line = render_configlet(context["configlets"][0], context).splitlines()[0]
    assert line not in render(context, Stage.DISCOVERY2)
    for stage in (Stage.SERVICE, Stage.DRAIN):
        config = render(context, stage).splitlines()
        assert config.index(line) > config.index("router bgp 65102")


def test_linux_frr_configlet_goes_to_its_section() -> None:
    context = load_example("leaf2")
    context["configlets"] = [
        {"name": "frr-bit", "template": "ip prefix-list P seq 5 permit {{ mgmt_subnet }}"},
        {"name": "if-bit", "template": "auto dummy0\niface dummy0", "section": "interfaces"},
    ]
    sections = parse_document(render(context, Stage.SERVICE))
    prefix_line = f"ip prefix-list P seq 5 permit {context['property_sets']['mgmt_subnet']}"
    assert prefix_line in sections[FRR]
    assert "iface dummy0" in sections[INTERFACES]
    assert "iface dummy0" not in sections[FRR]
