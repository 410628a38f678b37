"""The level-triggered reconciler, as Celery tasks.

``reconcile_device`` reads the device's snapshot from the graph under its lease
and does what ``blueprint_engine.devices.reconcile.decide`` says; ``reconcile_all`` fans
it out to every device served by this worker pool, on a beat schedule and after
lifecycle events. Nothing depends on which messages were delivered: a lost
task, a killed worker (its lease expires) or a flushed broker are healed by the
next sweep.

Each device task runs as a ``workers.jobs.DeviceJob`` (lease, busy, error mapping)
and returns a ``workers.outcome.Outcome`` as JSON. The running config is compared
with golden by the telemetry collection round (``workers.collect``), which owns the
deviation verdict the reconciler's gate reads.
"""

from __future__ import annotations

from typing import Any

import redis

from blueprint_engine.devices.reconcile import ActionKind, decide, manual_full_push
from blueprint_engine.devices.registry import Devices
from blueprint_engine.devices.worker_pools import WorkerPools
from blueprint_engine.graph.db import Graph
from workers.app import GraphTask, app
from workers.deploy import Push, execute
from workers.drivers import open_driver
from workers.jobs import DeviceJob
from workers.outcome import Outcome, Status
from workers.snapshot import snapshot


def _redis(task: GraphTask) -> redis.Redis:
    return redis.Redis.from_url(task.settings.redis_url)


MANUAL_PUSH_WAIT_S = 60.0  # how long a confirmed manual push queues behind a held lease

ACTION_STATUS = {ActionKind.NONE: Status.NONE, ActionKind.BLOCKED: Status.BLOCKED}


@app.task(name="fabricgraph.reconcile_device", base=GraphTask, bind=True, acks_late=True)
def reconcile_device(self: GraphTask, serial: str, wait_s: float = 0.0) -> dict[str, Any]:
    """Move one device towards its intent: push, collect golden, or report why not."""
    client = _redis(self)
    blueprints, devices = self.blueprints, Devices(self.graph)
    queue = self.settings.celery_queue

    def work() -> Outcome:
        elsewhere = _placed_elsewhere(self.graph, serial, queue)
        if elsewhere is not None:
            return elsewhere
        snap, text = snapshot(blueprints, devices, client, serial, holding_lease=True)
        action = decide(snap)
        devices.reconcile_decided(serial, action.kind.value, action.reason)
        if action.kind in (ActionKind.PUSH_FULL, ActionKind.PUSH_INCREMENTAL):
            assert action.stage is not None and text is not None
            return execute(
                devices,
                client,
                Push(serial, action.stage, action.kind, text, action.reason, by=queue),
            )
        if action.kind is ActionKind.COLLECT_GOLDEN:
            return _collect_golden(devices, serial)
        return Outcome(ACTION_STATUS[action.kind], serial=serial, reason=action.reason)

    return DeviceJob(client, serial, "reconcile", wait_s=wait_s).handle(work).as_dict()


def _placed_elsewhere(graph: Graph, serial: str, queue: str) -> Outcome | None:
    """A job for a device that is not (or no longer) placed on this worker's pool does
    nothing: the device's own pool serves it (checked under the device's lease, so a
    move while a job is queued never makes two pools push)."""
    placed = WorkerPools(graph).queue_of(serial)
    if placed == queue:
        return None
    where = f"the pool of queue {placed!r}" if placed else "no worker pool"
    return Outcome(
        Status.BLOCKED,
        serial=serial,
        reason=f"placed on {where}, not on this worker's ({queue!r}): its own pool serves it",
    )


def _collect_golden(devices: Devices, serial: str) -> Outcome:
    driver = open_driver(devices.get(serial), devices)
    try:
        running = driver.get_config(retrieve="running")["running"]
    finally:
        driver.close()
    devices.golden_collected(serial, running)
    return Outcome(Status.GOLDEN_COLLECTED, serial=serial)


@app.task(name="fabricgraph.manual_full_push", base=GraphTask, bind=True, acks_late=True)
def manual_full_push_task(
    self: GraphTask, serial: str, confirm: bool = False, wait_s: float = MANUAL_PUSH_WAIT_S
) -> dict[str, Any]:
    """An operator's confirmed full push: overwrites out-of-band changes on the device.
    It queues behind a job holding the device's lease for at most ``wait_s``."""
    client = _redis(self)
    blueprints, devices = self.blueprints, Devices(self.graph)
    queue = self.settings.celery_queue

    def work() -> Outcome:
        elsewhere = _placed_elsewhere(self.graph, serial, queue)
        if elsewhere is not None:
            return elsewhere
        snap, text = snapshot(blueprints, devices, client, serial, holding_lease=True)
        action = manual_full_push(snap, confirm)  # refuses without confirmation
        assert action.stage is not None
        if text is None:
            why = f"the intended {action.stage.value} config cannot be rendered"
            return Outcome(Status.BLOCKED, serial=serial, reason=why)
        return execute(
            devices,
            client,
            Push(serial, action.stage, action.kind, text, action.reason, manual=True, by=queue),
        )

    return DeviceJob(client, serial, "manual full push", wait_s=wait_s).handle(work).as_dict()


@app.task(name="fabricgraph.reconcile_all", base=GraphTask, bind=True)
def reconcile_all(self: GraphTask) -> int:
    """Sweep: one reconcile task per managed device of this worker pool."""
    serials = Devices(self.graph).managed(self.settings.celery_queue)
    for serial in serials:
        reconcile_device.apply_async((serial,), queue=self.settings.celery_queue)
    return len(serials)
