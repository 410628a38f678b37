"""The level-triggered reconciler and the running-config check, as Celery tasks.

``reconcile_device`` reads the device's snapshot from the graph under its lease
and does what ``blueprint_engine.reconcile.decide`` says; ``reconcile_all`` fans
it out to every device served by this worker pool, on a beat schedule and after
lifecycle events. Nothing depends on which messages were delivered: a lost
task, a killed worker (its lease expires) or a flushed broker are healed by the
next sweep.

``check_running`` collects the running config and compares it with golden
(``blueprint_engine.deviation``); an unreachable device becomes UNAVAILABLE and
comes back by itself on the next successful check.
"""

from __future__ import annotations

from typing import Any

import redis

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.devices import Devices
from blueprint_engine.events import EventKind, publish
from blueprint_engine.reconcile import ActionKind, decide, manual_full_push
from workers.app import GraphTask, app
from workers.deploy import Push, execute
from workers.drivers import open_driver
from workers.lease import Lease
from workers.snapshot import snapshot


def _redis(task: GraphTask) -> redis.Redis:
    return redis.Redis.from_url(task.settings.redis_url)


def _busy(serial: str) -> dict[str, Any]:
    return {"serial": serial, "status": "busy", "reason": "another deployment holds the device"}


@app.task(name="fabricgraph.reconcile_device", base=GraphTask, bind=True, acks_late=True)
def reconcile_device(self: GraphTask, serial: str, wait_s: float = 0.0) -> dict[str, Any]:
    """Move one device towards its intent: push, collect golden, or report why not."""
    client = _redis(self)
    blueprints, devices = Blueprints(self.graph), Devices(self.graph)
    with Lease(client, serial, wait_s=wait_s) as held:
        if not held:
            return _busy(serial)
        snap, text = snapshot(blueprints, devices, client, serial, holding_lease=True)
        action = decide(snap)
        devices.set_fields(serial, reconcile_action=action.kind.value,
                           reconcile_reason=action.reason)  # fmt: skip
        if action.kind in (ActionKind.PUSH_FULL, ActionKind.PUSH_INCREMENTAL):
            assert action.stage is not None and text is not None
            return execute(devices, client, Push(serial, action.stage, action.kind, text,
                                                 action.reason))  # fmt: skip
        if action.kind is ActionKind.COLLECT_GOLDEN:
            return _collect_golden(devices, serial)
        return {"serial": serial, "status": action.kind.value, "reason": action.reason}


def _collect_golden(devices: Devices, serial: str) -> dict[str, Any]:
    driver = open_driver(devices.get(serial))
    try:
        running = driver.get_config(retrieve="running")["running"]
    finally:
        driver.close()
    devices.store_config(serial, "golden", running)
    devices.record_running(serial, running)
    return {"serial": serial, "status": "golden_collected"}


@app.task(name="fabricgraph.manual_full_push", base=GraphTask, bind=True, acks_late=True)
def manual_full_push_task(self: GraphTask, serial: str, confirm: bool = False) -> dict[str, Any]:
    """An operator's confirmed full push: overwrites out-of-band changes on the device."""
    client = _redis(self)
    blueprints, devices = Blueprints(self.graph), Devices(self.graph)
    with Lease(client, serial, wait_s=60) as held:
        if not held:
            return _busy(serial)
        snap, text = snapshot(blueprints, devices, client, serial, holding_lease=True)
        action = manual_full_push(snap, confirm)  # refuses without confirmation
        assert action.stage is not None
        if text is None:
            why = f"the intended {action.stage.value} config cannot be rendered"
            return {"serial": serial, "status": "blocked", "reason": why}
        return execute(devices, client, Push(serial, action.stage, action.kind, text,
                                             action.reason, manual=True))  # fmt: skip


@app.task(name="fabricgraph.reconcile_all", base=GraphTask, bind=True)
def reconcile_all(self: GraphTask) -> int:
    """Sweep: one reconcile task per managed device of this worker pool."""
    serials = Devices(self.graph).managed(self.settings.celery_queue)
    for serial in serials:
        reconcile_device.delay(serial)
    return len(serials)


@app.task(name="fabricgraph.check_running", base=GraphTask, bind=True)
def check_running(self: GraphTask, serial: str) -> dict[str, Any]:
    """Collect the running config, compare it with golden, update liveness."""
    client = _redis(self)
    devices = Devices(self.graph)
    with Lease(client, serial) as held:
        if not held:  # a deployment is changing the running config right now
            return _busy(serial)
        device = devices.get(serial)
        try:
            driver = open_driver(device)
            try:
                running = driver.get_config(retrieve="running")["running"]
            finally:
                driver.close()
        except Exception as exc:
            devices.set_fields(serial, liveness="unavailable", last_error=str(exc)[:2000])
            return {"serial": serial, "status": "unavailable", "error": str(exc)}
        before = device.record.deviation
        verdict = devices.record_running(serial, running)
    if verdict.status is not before:
        publish(client, EventKind.TELEMETRY, {"blueprint": device.blueprint, "serial": serial,
                "system": device.record.system_id, "kind": "config",
                "deviation": verdict.status.value, "reason": verdict.reason})  # fmt: skip
    return {"serial": serial, "status": verdict.status.value, "reason": verdict.reason}


@app.task(name="fabricgraph.check_running_all", base=GraphTask, bind=True)
def check_running_all(self: GraphTask) -> int:
    serials = Devices(self.graph).managed(self.settings.celery_queue)
    for serial in serials:
        check_running.delay(serial)
    return len(serials)
