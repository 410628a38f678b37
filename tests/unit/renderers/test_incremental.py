"""The incremental config: empty when nothing changed; a unified diff on linux_frr, the
remediation (tests/unit/renderers/test_remediation.py) on the NOSes that merge."""

from __future__ import annotations

import pytest
from render_examples import load_example

from renderers import RenderError, incremental, remediation, render
from renderers.context import Nos, Stage


@pytest.mark.parametrize("nos", list(Nos))
def test_incremental_is_empty_for_equal_configs(nos: Nos) -> None:
    config = render(load_example("leaf2", nos), Stage.SERVICE)
    assert incremental(nos, config, config) == ""


def test_linux_frr_incremental_lists_removed_and_added_lines_per_file() -> None:
    context = load_example("leaf1")
    old = render(context, Stage.SERVICE)
    route = context["static_routes"].pop()
    new = render(context, Stage.SERVICE)
    delta = incremental(Nos.LINUX_FRR, old, new)
    assert "--- a/etc/frr/frr.conf" in delta
    assert f"-ip route {route['prefix']} {route['next_hop']}" in delta.splitlines()
    assert f"-  network {route['prefix']}" in delta.splitlines()
    assert "/etc/network/interfaces" not in delta
    assert not [line for line in delta.splitlines() if line.startswith("+") and "+++" not in line]


def test_cli_incremental_is_the_remediation_the_workers_load() -> None:
    context = load_example("spine1", Nos.EOS)
    old = render(context, Stage.SERVICE)
    context["fabric_mtu"] = 9100
    new = render(context, Stage.SERVICE)
    delta = incremental(Nos.EOS, old, new)
    assert delta == remediation(Nos.EOS, old, new)
    assert "interface Ethernet1" in delta.splitlines() and "  mtu 9100" in delta.splitlines()


def test_drain_delta_adds_the_route_maps() -> None:
    context = load_example("spine1")
    delta = incremental(Nos.LINUX_FRR, render(context, Stage.SERVICE), render(context, Stage.DRAIN))
    assert "+route-map DRAIN-OUT deny 10" in delta.splitlines()


def test_incremental_refuses_a_malformed_linux_frr_document() -> None:
    with pytest.raises(RenderError, match="/etc/nope"):
        incremental(Nos.LINUX_FRR, "### /etc/nope\n", "### /etc/hostname\nleaf1\n")


def test_incremental_refuses_an_unknown_nos() -> None:
    with pytest.raises(RenderError, match="linux_frr"):
        incremental("ios", "a\n", "b\n")


def test_removed_configlets_bring_their_negation_on_nos_that_merge_deltas() -> None:
    old = "hostname a\nntp server 192.0.2.1\n"
    new = "hostname a\n"
    delta = incremental("eos", old, new, [("ntp", "no ntp server 192.0.2.1")])
    assert delta.splitlines() == ["! negation of configlet 'ntp'", "no ntp server 192.0.2.1"]
    frr = "### /etc/frr/frr.conf\nlog facility local4\n"
    frr_delta = incremental("linux_frr", frr, "### /etc/frr/frr.conf\n", [("log", "no log")])
    assert "negation" not in frr_delta  # frr-reload removes the lines by the config diff
    assert "-log facility local4" in frr_delta.splitlines()
