"""A manual full push overwrites out-of-band changes, so it needs explicit confirmation."""

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
    ConfirmationRequiredError,
    DeployFailure,
    DeviceSnapshot,
    decide,
    manual_full_push,
)
from blueprint_engine.errors import ConflictError, ServiceUnavailableError, TransitionError
from tests.unit.lifecycle.snapshots import NOW, deployed


def deviated() -> DeviceSnapshot:
    """A deployed device with an open deviation and a newer intent the reconciler won't push."""
    return replace(deployed("sn-0400", "sha-new", "sha-old"), deviation=DeviationStatus.OPEN)


def test_without_confirmation_the_push_is_refused_and_says_how_to_confirm() -> None:
    with pytest.raises(ConfirmationRequiredError) as refused:
        manual_full_push(deviated(), confirm=False)
    assert refused.value.code == "confirmation_required"
    assert "out-of-band" in refused.value.message
    assert "confirm=True" in refused.value.allowed


def test_a_confirmed_push_overrides_an_open_deviation_with_a_full_push() -> None:
    assert decide(deviated()).kind is ActionKind.BLOCKED
    action = manual_full_push(deviated(), confirm=True)
    assert (action.kind, action.stage) == (ActionKind.PUSH_FULL, ConfigStage.SERVICE)


def test_a_confirmed_push_retries_a_failed_deploy_after_the_cause_is_fixed() -> None:
    failure = DeployFailure(config_hash="sha-new", failed_at=NOW - 5)
    failed = replace(deviated(), deviation=DeviationStatus.NONE, failure=failure)
    assert decide(failed).kind is ActionKind.BLOCKED
    assert manual_full_push(failed, confirm=True).kind is ActionKind.PUSH_FULL


def test_a_quarantined_device_gets_no_full_push_even_when_confirmed() -> None:
    quarantined = replace(
        deviated(),
        state=DeviceState.OOS_QUARANTINED,
        deploy_mode=DeployMode.NOT_SET,
        intended_stage=ConfigStage.PRISTINE,
    )
    with pytest.raises(TransitionError, match="OOS-QUARANTINED") as refused:
        manual_full_push(quarantined, confirm=True)
    assert "acknowledge" in refused.value.allowed


def test_a_confirmed_push_waits_for_a_deployment_in_progress() -> None:
    with pytest.raises(ConflictError, match="holds device sn-0400"):
        manual_full_push(replace(deviated(), lease_expires_at=NOW + 30), confirm=True)


def test_a_confirmed_push_to_an_unavailable_device_is_refused() -> None:
    with pytest.raises(ServiceUnavailableError, match="not connected"):
        manual_full_push(replace(deviated(), liveness=Liveness.UNAVAILABLE), confirm=True)
