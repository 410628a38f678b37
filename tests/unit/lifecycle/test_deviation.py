"""Config deviation: running compared with golden (PRODUCT.md §4)."""

from __future__ import annotations

from blueprint_engine.devices.deviation import config_hash, diff, evaluate
from blueprint_engine.devices.lifecycle import DeviationStatus

GOLDEN = "hostname leaf1\n!\nrouter bgp 65001\n neighbor 10.0.0.0 remote-as 65000\n"
CHANGED = GOLDEN + "ip route 192.0.2.0/24 Null0\n"


def test_running_equal_to_golden_is_no_deviation_even_with_blank_line_noise() -> None:
    verdict = evaluate(GOLDEN, GOLDEN.replace("!\n", "!\n\n") + "\n", None, deploy_failed=False)
    assert verdict.status is DeviationStatus.NONE


def test_any_difference_from_golden_opens_a_deviation() -> None:
    verdict = evaluate(GOLDEN, CHANGED, None, deploy_failed=False)
    assert verdict.status is DeviationStatus.OPEN
    assert "differs from golden" in verdict.reason
    assert "+ip route 192.0.2.0/24 Null0" in diff(GOLDEN, CHANGED)


def test_accepted_changes_stay_suppressed_while_the_device_keeps_that_config() -> None:
    accepted = config_hash(CHANGED)
    assert evaluate(GOLDEN, CHANGED, accepted, deploy_failed=False).status is (
        DeviationStatus.ACCEPTED
    )
    further = CHANGED + "ip route 198.51.100.0/24 Null0\n"
    assert evaluate(GOLDEN, further, accepted, deploy_failed=False).status is DeviationStatus.OPEN


def test_a_failed_deploy_without_golden_is_a_deviation() -> None:
    verdict = evaluate(None, GOLDEN, None, deploy_failed=True)
    assert verdict.status is DeviationStatus.OPEN
    assert "golden config unset" in verdict.reason


def test_nothing_deployed_yet_is_no_deviation() -> None:
    assert evaluate(None, GOLDEN, None, deploy_failed=False).status is DeviationStatus.NONE
