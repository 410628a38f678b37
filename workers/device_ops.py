"""Operator actions on managed devices, shared by GraphQL, the CLI and the tour.

Lifecycle events change the device's state in the graph and then ask the
reconciler to converge it (the reconciler renders and pushes what the new state
intends); accept changes and the confirmed manual full push follow PRODUCT.md §4.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import redis
from celery.exceptions import TimeoutError as CeleryTimeout
from celery.result import AsyncResult

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.devices.lifecycle import DeviceRecord, Event, PushKind, Transition
from blueprint_engine.devices.placement import PoolLiveness
from blueprint_engine.devices.reconcile import manual_full_push
from blueprint_engine.devices.registry import Devices
from blueprint_engine.devices.worker_pools import WorkerPools
from blueprint_engine.errors import ConflictError, FabricError, ServiceUnavailableError
from blueprint_engine.graph.db import Graph
from workers.outcome import Outcome, Status
from workers.reconciler import MANUAL_PUSH_WAIT_S, manual_full_push_task, reconcile_device
from workers.snapshot import snapshot

log = logging.getLogger(__name__)

# a reconcile sent after a commit queues this long behind a job holding the device (a
# sweep's reconcile that read the device before the commit), then leaves it to the sweep
TOUCHED_WAIT_S = 15.0


class DeviceOps:
    """``blueprints`` is the caller's long-lived blueprint service (the API's, the
    worker's): its catalogue is parsed once per process, not once per action."""

    def __init__(
        self, graph: Graph, client: redis.Redis, blueprints: Blueprints | None = None
    ) -> None:
        self.blueprints = blueprints if blueprints is not None else Blueprints(graph)
        self.devices = Devices(graph)
        self.pools = WorkerPools(graph)
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
        """Reconcile ``serial`` on the workers; with ``wait`` it queues behind a job holding
        the device for at most half of ``timeout``, then a ``ConflictError`` says so."""
        queue = self.queue_of(serial)
        result = reconcile_device.apply_async((serial,), {"wait_s": timeout / 2}, queue=queue)
        if not wait:
            return Outcome(Status.QUEUED, serial=serial, task=result.id).as_dict()
        return _waited(result, serial, "reconcile", timeout)

    def reconcile_touched(self, blueprint: str, systems: Sequence[str]) -> dict[str, str]:
        """After a commit: one reconcile task, not waited for, for each device assigned to a
        switch the revision touched (``Revision.devices``), on its pool's queue, so the
        push starts now instead of at the next sweep. Nothing here is needed for
        correctness: a device whose pool is down or that is not placed, or a task lost
        with the broker, is the next sweep's. {serial: task id} of the tasks sent."""
        if not systems:
            return {}
        wanted = set(systems)
        sent: dict[str, str] = {}
        try:
            rows = self.devices.find(blueprint=blueprint)
        except FabricError as exc:
            log.warning("no reconcile sent after the commit of %s: %s", blueprint, exc)
            return sent
        for row in rows:
            if row.get("system") not in wanted or row.get("state") is None:
                continue
            serial = str(row["serial"])
            try:
                queue = self.queue_of(serial)
                kwargs = {"wait_s": TOUCHED_WAIT_S}
                sent[serial] = reconcile_device.apply_async((serial,), kwargs, queue=queue).id
            except Exception as exc:  # the commit stands; the sweep reconciles it
                log.warning("reconcile of %s after the commit not sent: %s", serial, exc)
        return sent

    def queue_of(self, serial: str) -> str:
        """The queue of the worker pool ``serial`` is placed on: its tasks go there. A pool
        the last check found down is refused at once (nothing would run the task)."""
        placed = self.pools.pool_of(serial)
        if placed.queue is None:
            raise ServiceUnavailableError(
                f"device {serial} is not placed on a worker pool, so no worker serves it",
                allowed="move it to a pool (fabricgraph pool move SERIAL POOL)",
            )
        if placed.liveness == str(PoolLiveness.DOWN):
            raise ServiceUnavailableError(
                f"device {serial} is not deployable: no worker of its pool {placed.pool} "
                f"answered the pool check at {placed.checked_at}",
                allowed=f"a running worker of queue {placed.queue!r}, or move the device "
                "to a pool that is up",
            )
        return placed.queue

    def accept_changes(self, serial: str) -> DeviceRecord:
        return self.devices.accept_changes(serial)

    def full_push(
        self, serial: str, *, confirm: bool, wait: bool = True, timeout: float = 180
    ) -> dict[str, Any]:
        """A manual full push: refused without ``confirm`` (checked before anything runs).
        A deployment holding the device does not refuse it: the push queues behind it
        (at most ``min(60 s, timeout / 2)``), then a ``ConflictError`` says until when."""
        snap, _ = snapshot(self.blueprints, self.devices, self.redis, serial, holding_lease=True)
        manual_full_push(snap, confirm)  # raises ConfirmationRequiredError, TransitionError...
        wait_s = min(MANUAL_PUSH_WAIT_S, timeout / 2)
        result = manual_full_push_task.apply_async(
            (serial,), {"confirm": True, "wait_s": wait_s}, queue=self.queue_of(serial)
        )
        if not wait:
            return Outcome(Status.QUEUED, serial=serial, task=result.id).as_dict()
        return _waited(result, serial, "manual full push", timeout)


def _waited(result: AsyncResult[Any], serial: str, what: str, timeout: float) -> dict[str, Any]:
    """The job's outcome, waited for; busy after its bounded wait is a conflict."""
    try:
        data: dict[str, Any] = result.get(timeout=timeout)
    except CeleryTimeout:
        raise ServiceUnavailableError(
            f"the {what} of {serial} did not finish within {timeout:.0f} s",
            allowed="a running worker (make worker); the job may still run",
        ) from None
    outcome = Outcome.of(data)
    if outcome.status is Status.BUSY:
        raise ConflictError(
            f"{what} of {serial} not run: {outcome.why}",
            allowed="retry when the running deployment has finished",
        )
    return data
