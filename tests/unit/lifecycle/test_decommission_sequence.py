"""Decommissioning is a defined sequence; an acknowledged device with a connected
agent cannot simply be deleted (it would re-register within seconds)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from blueprint_engine.devices.lifecycle import (
    DecommissionStep,
    DeployMode,
    DeviceRecord,
    DeviceState,
    Event,
    Liveness,
    apply,
    decommission_plan,
    transition,
)
from blueprint_engine.errors import TransitionError


def deployed_device() -> DeviceRecord:
    return DeviceRecord(
        device_id="sn-0100",
        device_profile="vEOS-lab",
        state=DeviceState.IS_ACTIVE,
        deploy_mode=DeployMode.DEPLOY,
        liveness=Liveness.CONNECTED,
        system_id="spine1",
    )


def test_a_deployed_device_is_drained_undeployed_unassigned_and_stopped_before_removal() -> None:
    assert [step.value for step in decommission_plan(deployed_device())] == [
        "drain",
        "undeploy",
        "unassign",
        "stop_agent",
        "decommission",
    ]


def test_following_the_plan_step_by_step_removes_the_device() -> None:
    device: DeviceRecord | None = deployed_device()
    removed = False
    while device is not None:
        step = decommission_plan(device)[0]
        if step is DecommissionStep.STOP_AGENT:
            device = replace(device, liveness=Liveness.UNAVAILABLE)
            continue
        outcome = transition(device, Event(step.value))
        removed = outcome.removed
        device = apply(device, outcome)
    assert removed


def test_decommission_is_refused_while_the_agent_is_connected_naming_the_next_step() -> None:
    acknowledged = DeviceRecord(
        device_id="sn-0100",
        device_profile="vEOS-lab",
        state=DeviceState.OOS_READY,
        liveness=Liveness.CONNECTED,
    )
    with pytest.raises(TransitionError) as refused:
        transition(acknowledged, Event.DECOMMISSION)
    assert "OOS-READY" in refused.value.message
    assert "next step: stop the device agent" in refused.value.message
    assert "decommission" not in refused.value.allowed.split(", ")
    assert decommission_plan(acknowledged)[0] is DecommissionStep.STOP_AGENT


def test_an_acknowledged_device_whose_agent_is_stopped_is_removed() -> None:
    stopped = DeviceRecord(
        device_id="sn-0100",
        device_profile="vEOS-lab",
        state=DeviceState.OOS_READY,
        liveness=Liveness.UNAVAILABLE,
    )
    outcome = transition(stopped, Event.DECOMMISSION)
    assert outcome.removed
    assert outcome.push.value == "none"
    assert apply(stopped, outcome) is None


def test_a_quarantined_device_was_never_acknowledged_and_is_removed_directly() -> None:
    quarantined = DeviceRecord(
        device_id="sn-0101",
        device_profile="vEOS-lab",
        state=DeviceState.OOS_QUARANTINED,
        liveness=Liveness.CONNECTED,
    )
    assert decommission_plan(quarantined) == (DecommissionStep.DECOMMISSION,)
    assert transition(quarantined, Event.DECOMMISSION).removed
