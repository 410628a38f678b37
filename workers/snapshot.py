"""What the reconciler knows about one device: read from the graph and the lease."""

from __future__ import annotations

import time

import redis

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.devices.deviation import config_hash
from blueprint_engine.devices.lifecycle import ConfigStage, intended_stage
from blueprint_engine.devices.reconcile import UNPUSHED_STAGES, DeviceSnapshot
from blueprint_engine.devices.registry import Device, Devices
from blueprint_engine.errors import FabricError
from renderers.context import Stage
from workers.lease import lease_expires_at
from workers.stages import config_for


def intended_config(
    blueprints: Blueprints, devices: Devices, device: Device, stage: ConfigStage | None
) -> str | None:
    """The rendered config of ``stage`` for ``device``; None when nothing is pushed."""
    if stage is None or stage in UNPUSHED_STAGES:
        return None
    try:
        return config_for(device, Stage(stage.value), blueprints, devices)
    except FabricError:
        return None  # not renderable (e.g. its system was removed): decide() reports it


def snapshot(
    blueprints: Blueprints,
    devices: Devices,
    client: redis.Redis | None,
    serial: str,
    *,
    holding_lease: bool = False,
) -> tuple[DeviceSnapshot, str | None]:
    """The device's snapshot and its intended config text."""
    device = devices.get(serial)
    record = device.record
    stage = intended_stage(record.state, record.deploy_mode)
    text = intended_config(blueprints, devices, device, stage)
    deployed = devices.deploy_state(serial)
    now = time.time()
    lease = None if holding_lease or client is None else lease_expires_at(client, serial, now)
    return (
        DeviceSnapshot(
            device_id=serial,
            state=record.state,
            deploy_mode=record.deploy_mode,
            liveness=record.liveness,
            intended_stage=stage,
            intended_hash=config_hash(text) if text is not None else None,
            deployed_hash=deployed.deployed_hash,
            golden_present=deployed.golden_present,
            deviation=record.deviation,
            has_full_service_push=deployed.full_service_push,
            observed_at=now,
            lease_expires_at=lease,
            failure=deployed.failure,
        ),
        text,
    )
