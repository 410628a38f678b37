"""The reconciler decides from state alone what each device needs next."""

from __future__ import annotations

from dataclasses import replace

import pytest

from blueprint_engine.devices.lifecycle import (
    ConfigStage,
    DeployMode,
    DeviationStatus,
    DeviceState,
    Liveness,
)
from blueprint_engine.devices.reconcile import (
    ActionKind,
    DeployFailure,
    DeviceSnapshot,
    decide,
    next_retry_after,
)
from tests.unit.lifecycle.snapshots import NOW, deployed


def in_sync() -> DeviceSnapshot:
    """A deployed device whose last successful deploy is its current intent."""
    return deployed("sn-0300", "sha-b", "sha-b")


def intent_changed() -> DeviceSnapshot:
    return replace(in_sync(), intended_hash="sha-c")


def test_a_device_in_sync_with_golden_needs_nothing() -> None:
    assert decide(in_sync()).kind is ActionKind.NONE


def test_first_deploy_of_a_device_is_a_full_service_push() -> None:
    never_deployed = replace(
        intent_changed(), deployed_hash="sha-discovery2", has_full_service_push=False
    )
    action = decide(never_deployed)
    assert (action.kind, action.stage) == (ActionKind.PUSH_FULL, ConfigStage.SERVICE)


def test_a_later_intent_change_is_an_incremental_push() -> None:
    action = decide(intent_changed())
    assert action.kind is ActionKind.PUSH_INCREMENTAL
    assert "sha-b" in action.reason and "sha-c" in action.reason


@pytest.mark.parametrize("stage", [ConfigStage.DISCOVERY1, ConfigStage.DISCOVERY2])
def test_discovery_stages_are_always_full_pushes(stage: ConfigStage) -> None:
    action = decide(replace(intent_changed(), intended_stage=stage))
    assert (action.kind, action.stage) == (ActionKind.PUSH_FULL, stage)


def test_nothing_is_pushed_to_a_quarantined_device() -> None:
    quarantined = replace(
        intent_changed(),
        state=DeviceState.OOS_QUARANTINED,
        deploy_mode=DeployMode.NOT_SET,
        intended_stage=ConfigStage.PRISTINE,
    )
    action = decide(quarantined)
    assert action.kind is ActionKind.NONE
    assert "OOS-QUARANTINED" in action.reason


def test_a_deployment_in_progress_is_left_alone_while_its_lease_holds() -> None:
    action = decide(replace(intent_changed(), lease_expires_at=NOW + 60))
    assert action.kind is ActionKind.NONE
    assert "holds the device" in action.reason


def test_a_crashed_workers_expired_lease_does_not_stop_the_next_sweep() -> None:
    action = decide(replace(intent_changed(), lease_expires_at=NOW - 1))
    assert action.kind is ActionKind.PUSH_INCREMENTAL


def test_an_unavailable_device_is_blocked() -> None:
    action = decide(replace(intent_changed(), liveness=Liveness.UNAVAILABLE))
    assert action.kind is ActionKind.BLOCKED
    assert "unavailable" in action.reason


def test_an_intent_that_is_not_rendered_yet_is_blocked() -> None:
    action = decide(replace(intent_changed(), intended_hash=None))
    assert action.kind is ActionKind.BLOCKED
    assert "not been rendered" in action.reason


def failed(retry_after: float | None = None) -> DeviceSnapshot:
    failure = DeployFailure(config_hash="sha-c", failed_at=NOW - 10, retry_after=retry_after)
    return replace(intent_changed(), golden_present=False, failure=failure)


def test_a_failed_deploy_is_not_retried_until_the_failure_is_cleared() -> None:
    action = decide(failed())
    assert action.kind is ActionKind.BLOCKED
    assert action.retry_at is None
    assert "sha-c failed" in action.reason and "clear the failure" in action.reason


def test_a_cleared_failure_is_retried() -> None:
    assert decide(replace(failed(), failure=None)).kind is ActionKind.PUSH_INCREMENTAL


def test_a_new_intent_after_a_failure_is_pushed() -> None:
    assert decide(replace(failed(), intended_hash="sha-d")).kind is ActionKind.PUSH_INCREMENTAL


def test_a_transient_failure_waits_for_its_retry_after_time() -> None:
    waiting = decide(failed(retry_after=NOW + 30))
    assert (waiting.kind, waiting.retry_at) == (ActionKind.BLOCKED, NOW + 30)
    assert decide(failed(retry_after=NOW)).kind is ActionKind.PUSH_INCREMENTAL


def test_retry_backoff_doubles_per_attempt_and_is_capped() -> None:
    first = next_retry_after(NOW, 1, base_s=10, cap_s=100)
    second = next_retry_after(NOW, 2, base_s=10, cap_s=100)
    assert second - NOW == 2 * (first - NOW)
    assert next_retry_after(NOW, 20, base_s=10, cap_s=100) == NOW + 100


def test_an_open_unaccepted_deviation_blocks_the_push() -> None:
    action = decide(replace(intent_changed(), deviation=DeviationStatus.OPEN))
    assert action.kind is ActionKind.BLOCKED
    assert "deviation" in action.reason and "manual full push" in action.reason


def test_an_accepted_deviation_does_not_block_the_push() -> None:
    action = decide(replace(intent_changed(), deviation=DeviationStatus.ACCEPTED))
    assert action.kind is ActionKind.PUSH_INCREMENTAL


def test_an_open_deviation_on_a_device_in_sync_asks_for_nothing() -> None:
    assert decide(replace(in_sync(), deviation=DeviationStatus.OPEN)).kind is ActionKind.NONE


def test_a_deployed_config_without_golden_gets_its_golden_collected() -> None:
    action = decide(replace(in_sync(), golden_present=False))
    assert action.kind is ActionKind.COLLECT_GOLDEN


def test_the_same_state_always_gives_the_same_decision() -> None:
    snapshot = intent_changed()
    assert decide(snapshot) == decide(snapshot)
