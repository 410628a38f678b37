"""The workers' incremental push to a NOS that merges (eos, nxos_ssh, junos) loads
hier_config's remediation from the device's golden (last collected running) config to
the intended one, as a merge candidate, then compares and commits: on NAPALM's own mock
driver over each vendor's recorded responses (fixtures/napalm_recordings: recordings,
not live devices). The mock keeps what was loaded until the commit."""

from __future__ import annotations

import pytest

from blueprint_engine.devices.lifecycle import ConfigStage
from blueprint_engine.devices.reconcile import ActionKind
from renderers import remediation, render
from renderers.context import Nos, Stage
from tests.integration.agents.helpers import recorded_running
from tests.unit.renderers.render_examples import load_example
from workers.credentials import Credential
from workers.deploy import Push, load_candidate
from workers.drivers import build_driver

VENDORS = [
    (Nos.EOS, "eos", "eos-dcs7060cx-recording"),
    (Nos.NXOS, "nxos_ssh", "nxos-n9k-c9336c-recording"),
    (Nos.JUNOS, "junos", "junos-qfx5120-recording"),
]


def _intended(nos: Nos, running: str) -> str:
    """leaf2's service config on a switch whose pristine config is the recorded running
    one (on Junos in the curly-brace format, which the renderer turns into set commands)."""
    context = load_example("leaf2", nos)
    context["pristine"] = running
    return render(context, Stage.SERVICE)


def _push(text: str, kind: ActionKind) -> Push:
    return Push("JPE0", ConfigStage.SERVICE, kind, text, "test")


@pytest.mark.parametrize(("nos", "platform", "recording"), VENDORS)
def test_incremental_push_loads_the_remediation_as_a_merge(
    nos: Nos, platform: str, recording: str
) -> None:
    golden = recorded_running(recording)
    intended = _intended(nos, golden)
    driver = build_driver(
        platform, "sw.mgmt.example.net", {"recording": recording}, Credential("u", "p")
    )
    driver.open()
    try:
        loaded = load_candidate(driver, nos, _push(intended, ActionKind.PUSH_INCREMENTAL), golden)
        assert (driver.merge, driver.config) == (True, loaded)
        assert loaded == remediation(nos, golden, intended)
        assert "router bgp 65102" in loaded or "set protocols bgp group UNDERLAY" in loaded
        if nos == Nos.JUNOS:  # set/delete commands only: no comment, no curly brace
            assert all(x.startswith(("set ", "delete ")) for x in loaded.splitlines())
        assert "+hostname" in driver.compare_config()  # the recorded session diff
        driver.commit_config()
    finally:
        driver.close()


def test_remediation_of_the_recorded_eos_running_config_keeps_the_pristine_lines() -> None:
    golden = recorded_running("eos-dcs7060cx-recording")
    loaded = remediation(Nos.EOS, golden, _intended(Nos.EOS, golden)).splitlines()
    # the device's own lines are in the intended config: nothing of them is negated
    assert not [x for x in loaded if x.startswith("no ") and ("MGMT" in x or "username" in x)]
    assert "no hostname sw-eos-1" not in loaded and "hostname leaf2" in loaded


def test_a_junos_device_s_curly_brace_running_config_renders_as_set_commands() -> None:
    running = recorded_running("junos-qfx5120-recording")
    assert running.startswith("## Last commit") and "system {" in running
    intended = _intended(Nos.JUNOS, running).splitlines()
    assert all(line.startswith("set ") for line in intended if line)
    assert "set interfaces em0 unit 0 family inet address 192.0.2.31/24" in intended
    assert "set system host-name leaf2" in intended and "sw-junos-1" not in str(intended)


@pytest.mark.parametrize(("nos", "platform", "recording"), VENDORS)
def test_a_full_push_or_one_without_golden_loads_the_intended_config_as_a_replace(
    nos: Nos, platform: str, recording: str
) -> None:
    intended = _intended(nos, recorded_running(recording))
    for kind, golden in (
        (ActionKind.PUSH_FULL, recorded_running(recording)),
        (ActionKind.PUSH_INCREMENTAL, None),
    ):
        driver = build_driver(platform, "sw", {"recording": recording}, Credential("u", "p"))
        driver.open()
        try:
            assert load_candidate(driver, nos, _push(intended, kind), golden) == intended
            assert (driver.merge, driver.config) == (False, intended)
        finally:
            driver.close()
