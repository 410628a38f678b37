"""Loading, comparing and refusing candidates, replayed from recorded lab outputs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from napalm.base.exceptions import MergeConfigException, ReplaceConfigException

from napalm_linuxfrr.driver import LinuxFrrDriver
from tests.unit.lab.replay import FIXTURES, ReplayRunner

Make = Callable[[str], tuple[LinuxFrrDriver, ReplayRunner, Path]]
CANDIDATES = FIXTURES / "candidates"


def recorded_outcome(folder: Path) -> tuple[str, str]:
    outcome, _, diff = (folder / "expected" / "load_and_compare.txt").read_text().partition("---\n")
    return outcome.strip(), diff.strip()


def changes_device(runner: ReplayRunner) -> bool:
    """Whether any command could have changed the device (files under /tmp aside)."""
    changing = ("ip link set", "ip addr", "frr-reload.py --reload", "lldpcli configure")
    return any(any(c in " ".join(call) for c in changing) for call in runner.calls)


def test_compare_config_shows_interface_and_frr_changes(make_case: Make) -> None:
    driver, runner, folder = make_case("leaf2_deployed")
    driver.load_replace_candidate(filename=str(CANDIDATES / "leaf2_changed.conf"))
    diff = driver.compare_config()
    assert diff == recorded_outcome(folder)[1]
    assert "-auto swp3" in diff
    assert "+ ip route 10.3.0.99/32 10.2.0.5" in diff
    assert not changes_device(runner)


def test_a_port_the_device_lacks_is_refused_at_load(make_case: Make) -> None:
    driver, runner, _ = make_case("leaf2_unknown_port")
    with pytest.raises(ReplaceConfigException, match="swp9 do not exist") as caught:
        driver.load_replace_candidate(filename=str(CANDIDATES / "leaf2_unknown_port.conf"))
    assert "allowed: lo, swp1" in str(caught.value)
    assert driver.get_config()["candidate"] == ""
    assert not changes_device(runner)


def test_a_line_frr_rejects_is_refused_at_load_with_frrs_reason(make_case: Make) -> None:
    driver, runner, _ = make_case("leaf2_frr_rejects")
    with pytest.raises(ReplaceConfigException, match=r"Unknown command:.*bogus-knob 42"):
        driver.load_replace_candidate(filename=str(CANDIDATES / "leaf2_frr_rejects.conf"))
    assert driver.compare_config() == ""
    assert not changes_device(runner)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("hostname leaf2\n", "text before the first '### <path>' header"),
        ("", "no '### <path>' header"),
        ("### /etc/motd\nhello\n", "unknown file '/etc/motd'"),
        ("### /etc/frr/frr.conf\n!\n### /etc/hostname\nleaf2\n", "out of order"),
        ("### /etc/hostname\nleaf 2\n", "must hold one hostname"),
        ("### /etc/network/interfaces\nauto swp1\niface swp1\n    speed 10\n", "unknown option"),
        ("### /etc/lldpd.d/fabricgraph.conf\nconfigure lldp agent-type x\n", "unsupported"),
    ],
)
def test_malformed_documents_are_refused_with_the_reason(
    make_case: Make, text: str, reason: str
) -> None:
    driver, _, _ = make_case("leaf2_deployed")
    with pytest.raises(ReplaceConfigException, match=reason):
        driver.load_replace_candidate(config=text)
    with pytest.raises(MergeConfigException, match=reason):
        driver.load_merge_candidate(config=text)


def test_discard_forgets_the_candidate(make_case: Make) -> None:
    driver, _, _ = make_case("leaf2_deployed")
    driver.load_replace_candidate(filename=str(CANDIDATES / "leaf2_changed.conf"))
    assert driver.get_config(retrieve="candidate")["candidate"].startswith("### /etc/hostname")
    driver.discard_config()
    assert driver.get_config(retrieve="candidate")["candidate"] == ""
    assert driver.compare_config() == ""


def test_commit_confirm_is_not_offered(make_case: Make) -> None:
    driver, _, _ = make_case("leaf2_deployed")
    driver.load_replace_candidate(filename=str(CANDIDATES / "leaf2_changed.conf"))
    with pytest.raises(NotImplementedError, match="revert_in"):
        driver.commit_config(revert_in=60)
