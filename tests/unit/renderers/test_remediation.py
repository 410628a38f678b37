"""hier_config remediation of the golden renderings (eos, nxos, junos): the commands that
take one stage's config to the next, what the workers load as a merge and the incremental
preview shows; round trips running -> intended -> rollback -> running on every lifecycle
step of every example device.

Golden remediations: tests/unit/renderers/golden_remediation/<nos>/<device>.<from>-<to>.txt.
After an intended change: ``FG_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/renderers``,
then review ``git diff tests/unit/renderers/golden_remediation``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from remediation_model import applied, same_config
from render_examples import DEVICES, load_example

from renderers import RenderError, incremental, incremental_rollback, remediation, render, rollback
from renderers.context import Nos, Stage
from renderers.remediation import parse

MERGING = (Nos.EOS, Nos.NXOS, Nos.JUNOS)
GOLDEN = Path(__file__).resolve().parent / "golden_remediation"
# the steps a device takes (and undeploy/undrain take back): pristine -> discovery1 ->
# discovery2 -> service <-> drain
STEPS = [
    ("pristine", Stage.DISCOVERY1),
    (Stage.DISCOVERY1, Stage.DISCOVERY2),
    (Stage.DISCOVERY2, Stage.SERVICE),
    (Stage.SERVICE, Stage.DRAIN),
    (Stage.DRAIN, Stage.SERVICE),
    (Stage.SERVICE, Stage.DISCOVERY1),
]
GOLDEN_STEPS = [(Stage.DISCOVERY2, Stage.SERVICE), (Stage.SERVICE, Stage.DRAIN)]


def _config(device: str, nos: Nos, stage: str) -> str:
    context = load_example(device, nos)
    return context["pristine"] if stage == "pristine" else render(context, stage)


@pytest.mark.parametrize("nos", MERGING)
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("old", "new"), GOLDEN_STEPS)
def test_remediation_matches_its_golden_file(nos: Nos, device: str, old: str, new: str) -> None:
    commands = remediation(nos, _config(device, nos, old), _config(device, nos, new))
    golden = GOLDEN / nos / f"{device}.{old}-{new}.txt"
    if os.environ.get("FG_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(commands)
    assert golden.exists(), f"no golden file {golden}; regenerate with FG_UPDATE_GOLDEN=1"
    assert commands == golden.read_text()
    assert commands, "every golden step changes the device"


@pytest.mark.parametrize("nos", MERGING)
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("old", "new"), STEPS)
def test_remediation_and_rollback_round_trip(nos: Nos, device: str, old: str, new: str) -> None:
    running, intended = _config(device, nos, old), _config(device, nos, new)
    there = applied(nos, running, remediation(nos, running, intended))
    assert same_config(nos, there, intended)
    back = applied(nos, there, rollback(nos, running, intended))
    assert same_config(nos, back, running)
    assert not same_config(nos, running, intended)  # every step changes something


def test_eos_remediation_negates_what_is_no_longer_intended_in_its_section() -> None:
    context = load_example("spine1", Nos.EOS)
    old = render(context, Stage.SERVICE)
    context["fabric_mtu"] = 9100
    commands = remediation(Nos.EOS, old, render(context, Stage.SERVICE)).splitlines()
    fabric = [p["name"] for p in context["interfaces"] if p["role"] == "fabric"]
    expected: list[str] = []
    for name in fabric:
        expected += [f"interface {name}", "  mtu 9100"]
    assert commands == expected  # `mtu` is one of EOS's idempotent commands: no `no mtu`
    service = render(context, Stage.SERVICE)
    removed = service.replace("   bgp bestpath as-path multipath-relax\n", "")
    assert remediation(Nos.EOS, service, removed).splitlines() == [
        f"router bgp {context['asn']}",
        "  no bgp bestpath as-path multipath-relax",
    ]


def test_junos_remediation_is_set_and_delete_commands() -> None:
    context = load_example("leaf1", Nos.JUNOS)
    commands = remediation(
        Nos.JUNOS, render(context, Stage.DRAIN), render(context, Stage.SERVICE)
    ).splitlines()
    assert commands and all(line.startswith("delete ") for line in commands)
    assert "delete policy-options policy-statement DRAIN-OUT term DENY then reject" in commands
    # a running config in Junos' curly-brace format is read as its set commands
    braces = "system {\n    host-name sw1;\n}\n"
    assert remediation(Nos.JUNOS, braces, "set system host-name sw1\n") == ""


def test_a_section_opened_twice_is_one_section() -> None:
    """NX-OS's `vrf context blue` is opened by the system and by the VLAN template."""
    text = _config("leaf2", Nos.NXOS, Stage.SERVICE)
    assert text.count("vrf context blue\n") == 2
    (vrf,) = [c for c in parse(Nos.NXOS, text).children if c.text == "vrf context blue"]
    assert "vni 10001" in [c.text for c in vrf.children]
    assert remediation(Nos.NXOS, text, text) == ""


def test_incremental_of_merging_noses_is_the_negations_then_the_remediation() -> None:
    old = "hostname a\nntp server 192.0.2.1\nbanner motd\nhi\nEOF\n"
    new = "hostname a\n"
    assert remediation(Nos.EOS, old, new) == "no ntp server 192.0.2.1\nno banner motd\n"
    negations = [("ntp", "no ntp server 192.0.2.1"), ("banner", "no banner motd")]
    assert incremental(Nos.EOS, old, new, negations).splitlines() == [
        "! negation of configlet 'ntp'",
        "no ntp server 192.0.2.1",
        "! negation of configlet 'banner'",
        "no banner motd",  # the remediation's same commands are not repeated
    ]
    # a changed configlet: its old lines removed the operator's way, then the new ones
    one, other = "banner motd #hi\nthere#\n", "banner motd #bye#\n"
    assert incremental(Nos.NXOS, one, other, [("b", "no banner motd")]).splitlines() == [
        "! negation of configlet 'b'",
        "no banner motd",
        "banner motd #bye#",
    ]
    junos = incremental(Nos.JUNOS, "set system ntp server 192.0.2.1\n", "", [("ntp", "x")])
    assert junos.splitlines() == ["x", "delete system ntp server 192.0.2.1"]  # no comments
    assert incremental(Nos.NXOS, new, new) == ""


def test_remediation_refuses_linux_frr_and_unknown_noses() -> None:
    for nos in ("linux_frr", "ios"):
        with pytest.raises(RenderError, match="eos, nxos, junos"):
            remediation(nos, "a\n", "b\n")


@pytest.mark.parametrize("nos", MERGING)
@pytest.mark.parametrize("device", DEVICES)
def test_the_incremental_previews_rollback_undoes_the_incremental(nos: Nos, device: str) -> None:
    """Deploy (discovery 2 -> service) as the preview shows it, then its rollback: the device
    is back at discovery 2."""
    running, intended = _config(device, nos, Stage.DISCOVERY2), _config(device, nos, Stage.SERVICE)
    there = applied(nos, running, incremental(nos, running, intended))
    assert same_config(nos, there, intended)
    back = applied(nos, there, incremental_rollback(nos, running, intended))
    assert same_config(nos, back, running)
    assert incremental_rollback(nos, intended, intended) == ""


def test_a_linux_frr_rollback_is_the_reverse_diff() -> None:
    running = _config("leaf1", Nos.LINUX_FRR, Stage.DISCOVERY2)
    intended = _config("leaf1", Nos.LINUX_FRR, Stage.SERVICE)
    forward = incremental(Nos.LINUX_FRR, running, intended).splitlines()
    back = incremental_rollback(Nos.LINUX_FRR, running, intended).splitlines()
    added = [x[1:] for x in forward if x.startswith("+") and not x.startswith("+++")]
    assert added and added == [x[1:] for x in back if x.startswith("-") and not x.startswith("---")]
