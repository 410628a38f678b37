"""The collector's device step without I/O: the getters it runs on the ``linuxfrr``
driver (replaying command outputs recorded on a lab switch, ``tests/unit/lab``), and
when a round may judge the running config against golden."""

from __future__ import annotations

from napalm_linuxfrr.driver import LinuxFrrDriver
from telemetry.collect_map import DeviceIntent
from tests.unit.lab.replay import load_case, netns_of
from workers.collect import GETTERS, DeviceRound, config_facts, run_getters


def _driver(case: str) -> LinuxFrrDriver:
    runner, folder = load_case(case)
    netns = netns_of(folder)
    driver = LinuxFrrDriver(netns, "", "", optional_args={"netns": netns, "runner": runner})
    driver.open()
    return driver


def test_every_getter_runs_and_one_that_fails_is_reported_not_raised() -> None:
    # the recording of this switch has every getter's commands but not the whole RIB
    # (`show ip route json`) nor `show daemons` (recorded before watchfrr): those
    # getters fail, the others still answer
    result = run_getters(_driver("leaf2_deployed"))
    assert set(result["errors"]) == {"get_route_to", "get_routing_daemons"}
    assert "not in the recording" in result["errors"]["get_route_to"]
    for name in GETTERS:
        assert name in result
    assert result["get_facts"]["hostname"] == "leaf2"
    assert result["running_config"].startswith("### /etc/hostname")


def _round(running: str | None, golden_at: str | None) -> DeviceRound:
    intent = DeviceIntent("bp", "leaf1", "leaf1", serial="S1", last_deploy="succeeded",
                          golden="golden text", golden_at=golden_at)  # fmt: skip
    getters = {"errors": {}} if running is None else {"errors": {}, "running_config": running}
    return DeviceRound(intent, getters, at=0.0, seconds=0.1)


def test_running_config_is_judged_only_when_no_deployment_touched_the_round() -> None:
    stamp = "2026-01-01T00:00:00Z"
    judged = config_facts(_round("running text", stamp), deploying=False, golden_at=stamp)
    assert judged is not None
    assert (judged.golden, judged.running, judged.last_deploy) == (
        "golden text", "running text", "succeeded",
    )  # fmt: skip
    # a deployment holds the device: its running config is in flux
    assert config_facts(_round("running text", stamp), deploying=True, golden_at=stamp) is None
    # a deployment stored a new golden during the round: running may predate it
    later = "2026-01-01T00:00:05Z"
    assert config_facts(_round("running text", stamp), deploying=False, golden_at=later) is None
    # the running config could not be read
    assert config_facts(_round(None, stamp), deploying=False, golden_at=stamp) is None
