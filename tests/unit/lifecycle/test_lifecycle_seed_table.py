"""Every row of the seed's lifecycle table (seed 001, "Configuration stages: Overview").

The rows below are copied from the seed's text, not from the module under test:
event, where the device is before it, resulting configuration, how it is pushed,
resulting managed state and deploy mode ("N/A" and "Not Assigned" as in the seed).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from blueprint_engine.devices.lifecycle import (
    DeployMode,
    DeviceRecord,
    DeviceState,
    Event,
    Liveness,
    apply,
    intended_stage,
    transition,
)

PROFILE = "vEOS-lab"
SYSTEM = "rack1-leaf1"


@dataclass(frozen=True)
class SeedRow:
    seed_event: str
    event: str
    before: tuple[str, str]
    config: str
    push: str
    state: str
    mode: str


SEED_TABLE = [
    SeedRow("New Device", "new_device", ("N/A", "not_set"), "factory", "none", "N/A", "not_set"),
    SeedRow(
        "Add Pre-AOS [mgmt] Configuration to device",
        "pre_install_config",
        ("N/A", "not_set"),
        "pre_install",
        "none",
        "N/A",
        "not_set",
    ),
    SeedRow(
        "Install AOS Device System Agent",
        "install_agent",
        ("N/A", "not_set"),
        "pristine",
        "none",
        "OOS-QUARANTINED",
        "not_set",
    ),
    SeedRow(
        "Acknowledge Device",
        "acknowledge",
        ("OOS-QUARANTINED", "not_set"),
        "discovery1",
        "full",
        "OOS-READY",
        "not_set",
    ),
    SeedRow(
        "Assign Device to blueprint (no deploy)",
        "assign",
        ("OOS-READY", "not_set"),
        "discovery2",
        "full",
        "IS-READY",
        "ready",
    ),
    SeedRow(
        "Deploy Device", "deploy", ("IS-READY", "ready"), "service", "full", "IS-ACTIVE", "deploy"
    ),
    SeedRow(
        "Add/Commit Incremental Configuration",
        "commit_incremental",
        ("IS-ACTIVE", "deploy"),
        "incremental",
        "incremental",
        "IS-ACTIVE",
        "deploy",
    ),
    SeedRow(
        "Drain Device",
        "drain",
        ("IS-ACTIVE", "deploy"),
        "drain",
        "incremental",
        "IS-READY",
        "drain",
    ),
    SeedRow(
        "Undeploy Device",
        "undeploy",
        ("IS-READY", "drain"),
        "discovery2",
        "full",
        "IS-READY",
        "undeploy",
    ),
    SeedRow(
        "Unassign Device",
        "unassign",
        ("IS-READY", "undeploy"),
        "discovery1",
        "full",
        "OOS-READY",
        "not_set",
    ),
]

# Deploy-mode changes the seed describes in prose ("Deploy Modes" and "Undeploy").
SEED_PROSE = [
    SeedRow(
        "changing from deploy to ready removes AOS-rendered configuration",
        "set_ready",
        ("IS-ACTIVE", "deploy"),
        "discovery2",
        "full",
        "IS-READY",
        "ready",
    ),
    SeedRow(
        "undeploying removes the complete service configuration",
        "undeploy",
        ("IS-ACTIVE", "deploy"),
        "discovery2",
        "full",
        "IS-READY",
        "undeploy",
    ),
    SeedRow(
        "a drained device returns to service",
        "deploy",
        ("IS-READY", "drain"),
        "service",
        "incremental",
        "IS-ACTIVE",
        "deploy",
    ),
    SeedRow(
        "an undeployed device is deployed again",
        "deploy",
        ("IS-READY", "undeploy"),
        "service",
        "full",
        "IS-ACTIVE",
        "deploy",
    ),
    SeedRow(
        "an undeployed device set to ready is already at discovery 2",
        "set_ready",
        ("IS-READY", "undeploy"),
        "discovery2",
        "none",
        "IS-READY",
        "ready",
    ),
]


def state_of(text: str) -> DeviceState | None:
    return None if text == "N/A" else DeviceState(text)


def record_at(before: tuple[str, str]) -> DeviceRecord:
    state = state_of(before[0])
    assigned = state in (DeviceState.IS_READY, DeviceState.IS_ACTIVE)
    return DeviceRecord(
        device_id="sn-0001",
        device_profile=PROFILE,
        state=state,
        deploy_mode=DeployMode(before[1]),
        liveness=Liveness.CONNECTED if state else Liveness.UNAVAILABLE,
        system_id=SYSTEM if assigned else None,
    )


def run(row: SeedRow, device: DeviceRecord) -> DeviceRecord | None:
    if row.event == "assign":
        outcome = transition(device, Event.ASSIGN, system_id=SYSTEM, system_profile=PROFILE)
    else:
        outcome = transition(device, Event(row.event))
    assert outcome.config_stage is not None
    assert outcome.config_stage.value == row.config, row.seed_event
    assert outcome.push.value == row.push, row.seed_event
    assert outcome.state == state_of(row.state), row.seed_event
    assert outcome.deploy_mode.value == row.mode, row.seed_event
    assert outcome.reason, row.seed_event
    return apply(device, outcome)


@pytest.mark.parametrize("row", SEED_TABLE + SEED_PROSE, ids=lambda r: r.event + ":" + r.before[1])
def test_each_event_gives_the_seeds_config_state_and_deploy_mode(row: SeedRow) -> None:
    run(row, record_at(row.before))


def test_walking_the_seed_table_in_order_reaches_each_next_rows_starting_point() -> None:
    device: DeviceRecord | None = DeviceRecord(device_id="sn-0001", device_profile=PROFILE)
    for row in SEED_TABLE:
        assert device is not None
        assert (device.state, device.deploy_mode.value) == (state_of(row.before[0]), row.before[1])
        device = run(row, device)
    assert device is not None
    assert (device.state, device.deploy_mode) == (DeviceState.OOS_READY, DeployMode.NOT_SET)


def test_assign_records_the_blueprint_system_and_unassign_clears_it() -> None:
    acknowledged = record_at(("OOS-READY", "not_set"))
    assigned = apply(
        acknowledged,
        transition(acknowledged, Event.ASSIGN, system_id=SYSTEM, system_profile=PROFILE),
    )
    assert assigned is not None and assigned.system_id == SYSTEM
    unassigned = apply(assigned, transition(assigned, Event.UNASSIGN))
    assert unassigned is not None and unassigned.system_id is None


@pytest.mark.parametrize(
    "row",
    [r for r in SEED_TABLE + SEED_PROSE if r.push == "full"],
    ids=lambda r: r.event + ":" + r.before[1],
)
def test_a_full_push_lands_on_the_stage_the_reconciler_keeps_for_the_new_state(
    row: SeedRow,
) -> None:
    outcome = transition(
        record_at(row.before), Event(row.event), system_id=SYSTEM, system_profile=PROFILE
    )
    assert outcome.config_stage == intended_stage(outcome.state, outcome.deploy_mode)


def test_an_unavailable_device_keeps_its_managed_state_and_deploy_mode() -> None:
    active = record_at(("IS-ACTIVE", "deploy"))
    offline = replace(active, liveness=Liveness.UNAVAILABLE)
    outcome = transition(offline, Event.COMMIT_INCREMENTAL)
    assert (outcome.state, outcome.deploy_mode) == (active.state, active.deploy_mode)
