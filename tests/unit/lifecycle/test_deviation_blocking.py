"""An open config deviation refuses further deployments until changes are accepted."""

from __future__ import annotations

import pytest

from blueprint_engine.devices.lifecycle import (
    DeployMode,
    DeviationStatus,
    DeviceRecord,
    DeviceState,
    Event,
    Liveness,
    accept_changes,
    allowed_events,
    transition,
)
from blueprint_engine.errors import TransitionError


def device(mode: DeployMode, deviation: DeviationStatus) -> DeviceRecord:
    state = DeviceState.IS_ACTIVE if mode is DeployMode.DEPLOY else DeviceState.IS_READY
    return DeviceRecord(
        device_id="sn-0200",
        device_profile="vEOS-lab",
        state=state,
        deploy_mode=mode,
        liveness=Liveness.CONNECTED,
        system_id="rack1-leaf1",
        deviation=deviation,
    )


def test_deploy_is_refused_while_a_deviation_is_open_and_not_accepted() -> None:
    deviated = device(DeployMode.READY, DeviationStatus.OPEN)
    with pytest.raises(TransitionError) as refused:
        transition(deviated, Event.DEPLOY)
    assert "IS-READY" in refused.value.message
    assert "deploy mode ready" in refused.value.message
    assert "config deviation is open" in refused.value.message
    assert "accept changes" in refused.value.message
    assert "deploy" not in refused.value.allowed.split(", ")


@pytest.mark.parametrize("event", [Event.COMMIT_INCREMENTAL, Event.DRAIN, Event.UNDEPLOY])
def test_every_push_to_a_deployed_device_is_refused_while_a_deviation_is_open(
    event: Event,
) -> None:
    with pytest.raises(TransitionError, match="config deviation is open"):
        transition(device(DeployMode.DEPLOY, DeviationStatus.OPEN), event)


def test_accepting_changes_lets_the_deployment_proceed() -> None:
    accepted = accept_changes(device(DeployMode.READY, DeviationStatus.OPEN))
    assert accepted.deviation is DeviationStatus.ACCEPTED
    assert transition(accepted, Event.DEPLOY).push.value == "full"


def test_accept_changes_is_refused_when_no_deviation_is_open() -> None:
    with pytest.raises(TransitionError, match="no config deviation is open"):
        accept_changes(device(DeployMode.READY, DeviationStatus.NONE))


def test_a_change_that_pushes_nothing_is_not_blocked_by_a_deviation() -> None:
    undeployed = device(DeployMode.UNDEPLOY, DeviationStatus.OPEN)
    assert [event.value for event in allowed_events(undeployed)] == ["set_ready"]
    assert transition(undeployed, Event.SET_READY).push.value == "none"
