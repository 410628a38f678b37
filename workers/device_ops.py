"""Operator actions on managed devices, shared by GraphQL, the CLI and the tour.

Lifecycle events change the device's state in the graph and then ask the
reconciler to converge it (the reconciler renders and pushes what the new state
intends); accept changes and the confirmed manual full push follow PRODUCT.md §4.
"""

from __future__ import annotations

from typing import Any

import redis

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.db import Graph
from blueprint_engine.devices import Devices
from blueprint_engine.lifecycle import DeviceRecord, Event, PushKind, Transition
from blueprint_engine.reconcile import manual_full_push
from workers.reconciler import manual_full_push_task, reconcile_device
from workers.snapshot import snapshot


class DeviceOps:
    def __init__(self, graph: Graph, client: redis.Redis) -> None:
        self.blueprints = Blueprints(graph)
        self.devices = Devices(graph)
        self.redis = client

    def event(
        self,
        serial: str,
        event: Event,
        *,
        blueprint: str | None = None,
        system: str | None = None,
        wait: bool = True,
        timeout: float = 180,
    ) -> tuple[Transition, dict[str, Any] | None]:
        """Apply ``event``; when it calls for a push, reconcile the device (and wait)."""
        outcome = self.devices.event(serial, event, blueprint=blueprint, system=system)
        if outcome.push is PushKind.NONE:
            return outcome, None
        return outcome, self.reconcile(serial, wait=wait, timeout=timeout)

    def reconcile(self, serial: str, *, wait: bool = True, timeout: float = 180) -> dict[str, Any]:
        result = reconcile_device.delay(serial, wait_s=timeout / 2)
        if not wait:
            return {"serial": serial, "status": "queued", "task": result.id}
        outcome: dict[str, Any] = result.get(timeout=timeout)
        return outcome

    def accept_changes(self, serial: str) -> DeviceRecord:
        return self.devices.accept_changes(serial)

    def full_push(
        self, serial: str, *, confirm: bool, wait: bool = True, timeout: float = 180
    ) -> dict[str, Any]:
        """A manual full push: refused without ``confirm`` (checked before anything runs)."""
        snap, _ = snapshot(self.blueprints, self.devices, self.redis, serial)
        manual_full_push(snap, confirm)  # raises ConfirmationRequiredError, TransitionError...
        result = manual_full_push_task.delay(serial, confirm=True)
        if not wait:
            return {"serial": serial, "status": "queued", "task": result.id}
        outcome: dict[str, Any] = result.get(timeout=timeout)
        return outcome
