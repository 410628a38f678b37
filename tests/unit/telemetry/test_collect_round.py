"""The collector's device step without I/O: the getters it runs on the ``linuxfrr``
driver (replaying command outputs recorded on a lab switch, ``tests/unit/lab``), and
when a round may judge the running config against golden."""

from __future__ import annotations

from blueprint_engine.devices.deviation import config_hash
from blueprint_engine.devices.lifecycle import DeviationStatus, Liveness
from blueprint_engine.devices.registry import JudgeInputs
from napalm_linuxfrr.driver import LinuxFrrDriver
from telemetry.collect_map import UNREACHABLE, DeviceIntent, observations
from tests.unit.lab.replay import load_case, netns_of
from workers.collect import (
    FIRST,
    GETTERS,
    DeviceRound,
    Opened,
    _calls,
    _facts,
    _run,
    collect_rest,
    config_facts,
    run_getters,
    settle_daemons,
)


def _driver(case: str) -> LinuxFrrDriver:
    runner, folder = load_case(case)
    netns = netns_of(folder)
    driver = LinuxFrrDriver(netns, "", "", optional_args={"netns": netns, "runner": runner})
    driver.open()
    return driver


def test_every_getter_runs_and_one_that_fails_is_reported_not_raised() -> None:
    # the recording of this switch has every getter's commands but not the whole RIB
    # (`show ip route json`) nor `show daemons` (recorded before watchfrr) nor the
    # kernel's counters (`ip -s -j link show`, recorded before that getter): those
    # getters fail, the others still answer
    result = run_getters(_driver("leaf2_deployed"))
    assert set(result["errors"]) == {
        "get_route_to",
        "get_routing_daemons",
        "get_interfaces_counters",
    }
    assert "not in the recording" in result["errors"]["get_route_to"]
    for name in GETTERS:
        assert name in result or name in result["errors"]
    assert result["get_facts"]["hostname"] == "leaf2"
    assert result["running_config"].startswith("### /etc/hostname")


def _round(running: str | None, golden_at: str | None) -> DeviceRound:
    intent = DeviceIntent(
        "bp",
        "leaf1",
        "leaf1",
        serial="S1",
        last_deploy="succeeded",
        golden="golden text",
        golden_at=golden_at,
    )
    getters = {"errors": {}} if running is None else {"errors": {}, "running_config": running}
    return DeviceRound(intent, getters, at=0.0, seconds=0.1)


def test_running_config_is_judged_only_when_no_push_touched_the_round() -> None:
    stamp = "2026-01-01T00:00:00Z"
    judged = config_facts(_round("running text", stamp), pushing=False, golden_at=stamp)
    assert judged is not None
    assert (judged.golden, judged.running, judged.last_deploy) == (
        "golden text",
        "running text",
        "succeeded",
    )
    # a push to the device is in progress: its running config is in flux
    assert config_facts(_round("running text", stamp), pushing=True, golden_at=stamp) is None
    # a deployment stored a new golden during the round: running may predate it
    later = "2026-01-01T00:00:05Z"
    assert config_facts(_round("running text", stamp), pushing=False, golden_at=later) is None
    # the running config could not be read
    assert config_facts(_round(None, stamp), pushing=False, golden_at=stamp) is None


def test_the_gate_verdict_and_the_anomaly_come_from_the_same_comparison() -> None:
    """The round's verdict on the device (the gate) and its config observation (the
    anomaly) compare the same golden with the same running config."""
    stamp = "2026-01-01T00:00:00Z"
    r = _round("running text", stamp)
    r = DeviceRound(r.intent, {**r.getters, "get_facts": {"hostname": "leaf1"}}, 0.0, 0.1)
    config = config_facts(r, pushing=False, golden_at=stamp)
    judge = JudgeInputs("golden text", stamp, accepted_hash=None, last_deploy="succeeded")
    facts = _facts(r, config, judge)
    assert facts.liveness is Liveness.CONNECTED and facts.golden_at == stamp
    assert facts.verdict is not None and facts.verdict.status is DeviationStatus.OPEN
    (observed,) = [o for o in observations(r.intent, r.getters, 0.0, config) if o.kind == "config"]
    assert observed.value["deviated"] is True
    # accepted: the gate lets pushes through, the anomaly stays (suppressed by the engine)
    accepted = JudgeInputs("golden text", stamp, config_hash("running text"), "succeeded")
    verdict = _facts(r, config, accepted).verdict
    assert verdict is not None and verdict.status is DeviationStatus.ACCEPTED


def test_an_unreachable_device_is_unavailable_and_not_judged() -> None:
    r = _round("running text", None)
    down = DeviceRound(r.intent, {UNREACHABLE: "connection refused"}, 0.0, 0.1)
    facts = _facts(down, None, None)
    assert (facts.liveness, facts.error, facts.verdict) == (
        Liveness.UNAVAILABLE,
        "connection refused",
        None,
    )


def test_the_running_config_first_then_the_rest_gives_what_one_pass_gives() -> None:
    """A round asks for liveness and the running config first (judged before the slower
    getters); the rest of the getters then complete the same result."""
    intent = DeviceIntent("bp", "leaf2", "leaf2", serial="S2")
    first = _run(_driver("leaf2_deployed"), FIRST)
    assert set(first) == {"errors", "get_facts", "running_config"}
    opened = Opened(DeviceRound(intent, first, at=0.0, seconds=0.1), _driver("leaf2_deployed"))
    whole = collect_rest(opened).getters
    assert whole == run_getters(_driver("leaf2_deployed"))


class _Daemons:
    """A device whose routing daemons read differently the second time (a crash or a
    restart between the round's two reads)."""

    def __init__(self, *reads: dict[str, dict[str, bool]] | Exception) -> None:
        self.reads = list(reads)

    def get_routing_daemons(self) -> dict[str, dict[str, bool]]:
        read = self.reads.pop(0)
        if isinstance(read, Exception):
            raise read
        return read


UP = {"bgpd": {"enabled": True, "running": True}}
DOWN = {"bgpd": {"enabled": True, "running": False}}


def _first(daemons: dict[str, dict[str, bool]]) -> dict[str, object]:
    return {"errors": {}, "get_routing_daemons": daemons, "running_config": "text"}


def test_a_daemon_that_changed_around_the_running_config_leaves_the_config_out() -> None:
    steady = _first(UP)
    settle_daemons(_Daemons(UP), steady)
    assert steady["running_config"] == "text" and steady["get_routing_daemons"] == UP
    for before, after in ((DOWN, UP), (UP, DOWN)):  # restarted / crashed in between
        moved = _first(before)
        settle_daemons(_Daemons(after), moved)
        # neither is observed: the last round's deviation and daemon down stay together
        assert "running_config" not in moved and "get_routing_daemons" not in moved
    unanswered = _first(UP)
    settle_daemons(_Daemons(ConnectionError("vtysh")), unanswered)
    assert "running_config" not in unanswered and "get_routing_daemons" not in unanswered
    assert "vtysh" in unanswered["errors"]["get_routing_daemons"]  # type: ignore[index]


def test_the_first_pass_reads_the_daemons_before_the_running_config() -> None:
    calls = [name for name in _calls(_driver("leaf2_deployed")) if name in FIRST]
    assert calls == ["get_facts", "get_routing_daemons", "running_config"]


def test_the_evpn_getter_runs_only_on_a_leaf_whose_intent_has_vnis() -> None:
    driver = _driver("leaf2_deployed")
    assert "get_evpn_vnis" not in _calls(driver)  # an underlay-only switch pays nothing
    assert "get_evpn_vnis" in _calls(driver, evpn=True)
    underlay = DeviceIntent("bp", "leaf2", "leaf2", serial="S2")
    plain = collect_rest(Opened(DeviceRound(underlay, {"errors": {}}, 0.0, 0.0), driver))
    assert "get_evpn_vnis" not in plain.getters and "get_evpn_vnis" not in plain.getters["errors"]
