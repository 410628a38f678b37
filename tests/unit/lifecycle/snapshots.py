"""Device snapshots shared by the reconciler tests (plain data, no I/O)."""

from __future__ import annotations

from blueprint_engine.devices.lifecycle import (
    ConfigStage,
    DeployMode,
    DeviationStatus,
    DeviceState,
    Liveness,
)
from blueprint_engine.devices.reconcile import DeviceSnapshot

NOW = 1_800_000_000.0


def deployed(device_id: str, intended: str, deployed_hash: str) -> DeviceSnapshot:
    """A deployed, connected device with golden present and no deviation."""
    return DeviceSnapshot(
        device_id=device_id,
        state=DeviceState.IS_ACTIVE,
        deploy_mode=DeployMode.DEPLOY,
        liveness=Liveness.CONNECTED,
        intended_stage=ConfigStage.SERVICE,
        intended_hash=intended,
        deployed_hash=deployed_hash,
        golden_present=True,
        deviation=DeviationStatus.NONE,
        has_full_service_push=True,
        observed_at=NOW,
    )
