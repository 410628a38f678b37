"""Illegal transitions are refused with the current state and the allowed next steps."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from blueprint_engine.devices.lifecycle import (
    DeployMode,
    DeviceRecord,
    DeviceState,
    Event,
    Liveness,
    allowed_events,
    transition,
)
from blueprint_engine.errors import ConflictError, FabricError, TransitionError, ValidationError


def device_at(state: str, mode: str, liveness: str = "connected") -> DeviceRecord:
    managed = DeviceState(state) if state != "N/A" else None
    assigned = managed in (DeviceState.IS_READY, DeviceState.IS_ACTIVE)
    return DeviceRecord(
        device_id="sn-0042",
        device_profile="vEOS-lab",
        state=managed,
        deploy_mode=DeployMode(mode),
        liveness=Liveness(liveness),
        system_id="rack1-leaf1" if assigned else None,
    )


@dataclass(frozen=True)
class Refusal:
    what: str
    state: str
    mode: str
    event: str
    why: str  # words the reason must contain
    next_step: str  # an event that must be offered instead


REFUSED = [
    Refusal(
        "deploy a quarantined device",
        "OOS-QUARANTINED",
        "not_set",
        "deploy",
        "acknowledged and assigned",
        "acknowledge",
    ),
    Refusal(
        "deploy an acknowledged, unassigned device",
        "OOS-READY",
        "not_set",
        "deploy",
        "assign it",
        "assign",
    ),
    Refusal(
        "deploy a device twice",
        "IS-ACTIVE",
        "deploy",
        "deploy",
        "already deployed",
        "commit_incremental",
    ),
    Refusal("assign a device twice", "IS-READY", "ready", "assign", "already assigned", "unassign"),
    Refusal(
        "assign a quarantined device",
        "OOS-QUARANTINED",
        "not_set",
        "assign",
        "acknowledge it",
        "acknowledge",
    ),
    Refusal(
        "acknowledge twice", "OOS-READY", "not_set", "acknowledge", "already acknowledged", "assign"
    ),
    Refusal(
        "acknowledge a device with no agent",
        "N/A",
        "not_set",
        "acknowledge",
        "no agent",
        "install_agent",
    ),
    Refusal(
        "register an agent twice",
        "OOS-QUARANTINED",
        "not_set",
        "install_agent",
        "already registered",
        "acknowledge",
    ),
    Refusal(
        "drain a device that is not deployed",
        "IS-READY",
        "ready",
        "drain",
        "deployed device",
        "deploy",
    ),
    Refusal(
        "drain an undeployed device", "IS-READY", "undeploy", "drain", "deployed device", "deploy"
    ),
    Refusal(
        "commit incremental config to a device in ready",
        "IS-READY",
        "ready",
        "commit_incremental",
        "deployed devices only",
        "deploy",
    ),
    Refusal(
        "unassign a deployed device", "IS-ACTIVE", "deploy", "unassign", "undeploy it", "undeploy"
    ),
    Refusal(
        "unassign a drained device", "IS-READY", "drain", "unassign", "undeploy it", "undeploy"
    ),
    Refusal(
        "unassign a device that is not assigned",
        "OOS-READY",
        "not_set",
        "unassign",
        "not assigned",
        "assign",
    ),
    Refusal(
        "undeploy a device that was never deployed",
        "IS-READY",
        "ready",
        "undeploy",
        "deployed or drained",
        "deploy",
    ),
    Refusal(
        "set ready on an unassigned device",
        "OOS-READY",
        "not_set",
        "set_ready",
        "assigned device",
        "assign",
    ),
    Refusal(
        "decommission an assigned device",
        "IS-READY",
        "ready",
        "decommission",
        "remaining steps: unassign",
        "unassign",
    ),
    Refusal(
        "decommission a deployed device",
        "IS-ACTIVE",
        "deploy",
        "decommission",
        "remaining steps: drain, undeploy, unassign",
        "drain",
    ),
]


@pytest.mark.parametrize("refusal", REFUSED, ids=lambda r: r.what)
def test_an_illegal_event_is_refused_naming_state_mode_and_allowed_steps(
    refusal: Refusal,
) -> None:
    device = device_at(refusal.state, refusal.mode)
    with pytest.raises(TransitionError) as refused:
        transition(device, Event(refusal.event))
    error = refused.value
    assert error.code == "illegal_transition"
    assert device.device_id in error.message
    assert refusal.state.replace("N/A", "not managed") in error.message
    assert f"deploy mode {refusal.mode}" in error.message
    assert refusal.why in error.message
    offered = error.allowed.split(", ")
    assert refusal.next_step in offered
    assert refusal.event not in offered
    assert offered == [event.value for event in allowed_events(device)]


ALLOWED_FROM = [
    (
        "N/A",
        "not_set",
        "unavailable",
        {"new_device", "pre_install_config", "install_agent", "decommission"},
    ),
    ("OOS-QUARANTINED", "not_set", "connected", {"acknowledge", "decommission"}),
    ("OOS-READY", "not_set", "connected", {"assign"}),
    ("OOS-READY", "not_set", "unavailable", {"assign", "decommission"}),
    ("IS-READY", "ready", "connected", {"deploy", "unassign"}),
    ("IS-ACTIVE", "deploy", "connected", {"commit_incremental", "drain", "undeploy", "set_ready"}),
    (
        "IS-ACTIVE",
        "deploy",
        "unavailable",
        {"commit_incremental", "drain", "undeploy", "set_ready"},
    ),
    ("IS-READY", "drain", "connected", {"deploy", "undeploy", "set_ready"}),
    ("IS-READY", "undeploy", "connected", {"deploy", "set_ready", "unassign"}),
]


@pytest.mark.parametrize(("state", "mode", "liveness", "expected"), ALLOWED_FROM)
def test_allowed_events_follow_the_lifecycle(
    state: str, mode: str, liveness: str, expected: set[str]
) -> None:
    allowed = allowed_events(device_at(state, mode, liveness))
    assert {event.value for event in allowed} == expected


def test_assign_refuses_a_device_whose_profile_differs_from_the_systems_naming_both() -> None:
    device = device_at("OOS-READY", "not_set")
    with pytest.raises(TransitionError) as refused:
        transition(device, Event.ASSIGN, system_id="spine1", system_profile="QFX5120-32C")
    assert "vEOS-lab" in refused.value.message
    assert "QFX5120-32C" in refused.value.message
    assert "spine1" in refused.value.message
    assert "QFX5120-32C" in refused.value.allowed


def test_assign_without_the_blueprint_system_says_which_facts_it_needs() -> None:
    with pytest.raises(ValidationError) as refused:
        transition(device_at("OOS-READY", "not_set"), Event.ASSIGN)
    assert "system_id" in refused.value.allowed
    assert "system_profile" in refused.value.allowed


def test_assign_to_a_system_that_already_has_another_device_is_a_conflict() -> None:
    with pytest.raises(ConflictError) as refused:
        transition(
            device_at("OOS-READY", "not_set"),
            Event.ASSIGN,
            system_id="rack1-leaf1",
            system_profile="vEOS-lab",
            system_occupant="sn-0007",
        )
    assert "sn-0007" in refused.value.message
    assert "unassign sn-0007" in refused.value.allowed


def test_every_refusal_is_a_fabric_error_with_a_machine_readable_code() -> None:
    with pytest.raises(FabricError) as refused:
        transition(device_at("OOS-QUARANTINED", "not_set"), Event.DEPLOY)
    assert refused.value.as_dict()["code"] == "illegal_transition"
    assert refused.value.as_dict()["allowed"] == "acknowledge, decommission"
