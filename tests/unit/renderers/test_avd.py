"""Arista's own tooling accepts our EOS intent: for every example device and stage, the
intent as AVD structured configuration (``renderers.avd``) passes AVD's
``eos_cli_config_gen`` schema (``pyavd.validate_structured_config``), and the CLI AVD's
templates render from it (``pyavd.get_device_config``) says what our EOS rendering says.

"Says the same" is hier_config's comparison (no command to add or negate either way),
after putting our CLI in AVD's form where the two differ in form only, each accepted
by EOS:

- ``lldp run``: EOS's default; AVD renders only ``no lldp run``.
- ``network P`` under ``router bgp``: AVD places it in ``address-family ipv4``.
- ``neighbor X next-hop-unchanged`` on every EVPN neighbour of a transit switch: AVD's
  ``bgp next-hop-unchanged`` in ``address-family evpn`` (the switch's every EVPN peer).

What is not compared: the pristine lines (the device's own) and configlets (operator CLI).
"""

from __future__ import annotations

import functools
from typing import Any

import pyavd
import pytest
from hier_config import HConfig
from render_examples import DEVICES, load_example

from renderers import render
from renderers.avd import structured_config
from renderers.context import DeviceContext, Nos, Stage
from renderers.remediation import parse


def _intent(device: str) -> DeviceContext:
    context: DeviceContext = load_example(device, Nos.EOS)
    context["pristine"] = ""
    context["configlets"] = []
    return context


@functools.cache
def _validated(device: str, stage: Stage) -> Any:
    return pyavd.validate_structured_config(structured_config(_intent(device), stage))


def _in_avd_form(config: HConfig) -> HConfig:
    lldp = config.get_child(equals="lldp run")
    if lldp is not None:
        lldp.delete()
    bgp = config.get_child(startswith="router bgp ")
    if bgp is None:
        return config
    networks = [c for c in bgp.children if c.text.startswith("network ")]
    unchanged = [c for c in bgp.children if c.text.endswith(" next-hop-unchanged")]
    for child in networks:
        bgp.add_child("address-family ipv4", return_if_present=True).add_child(child.text)
    if unchanged:
        evpn = bgp.add_child("address-family evpn", return_if_present=True)
        evpn.add_child("bgp next-hop-unchanged")
    for child in networks + unchanged:
        child.delete()
    return config


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("device", DEVICES)
def test_the_eos_intent_passes_avds_schema(device: str, stage: Stage) -> None:
    result = _validated(device, stage).validation_result
    assert [(v.path, v.message) for v in result.violations] == []
    assert list(result.deprecations) == []


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("device", DEVICES)
def test_avd_renders_what_our_eos_rendering_says(device: str, stage: Stage) -> None:
    validated = _validated(device, stage).validated_data
    avd = parse(Nos.EOS, pyavd.get_device_config(validated), "AVD's rendering")
    ours = _in_avd_form(parse(Nos.EOS, render(_intent(device), stage)))
    assert list(ours.config_to_get_to(avd).lines()) == []
    assert list(avd.config_to_get_to(ours).lines()) == []


def test_avds_schema_refuses_what_eos_refuses() -> None:
    """The check has teeth: the speed our renderer spelled before (no such EOS form)."""
    config = structured_config(_intent("spine1"), Stage.DISCOVERY1)
    config["ethernet_interfaces"][0]["speed"] = "forced 400gfull"
    (violation,) = pyavd.validate_structured_config(config).validation_result.violations
    assert list(violation.path) == ["ethernet_interfaces", "0", "speed"]
