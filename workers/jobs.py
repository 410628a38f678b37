"""One wrapper for every job that acts on one device: start, run, terminate.

``DeviceJob(client, serial, name, wait_s=...).handle(work)``:

* start: take the device's lease (``workers.lease``), waiting at most ``wait_s``; a
  lease still held then ends the job as ``busy``, naming until when (ISO 8601 UTC);
* run: ``work()`` under the lease, which returns the job's ``Outcome``;
* terminate: an error of ours (``FabricError``: a refusal with a code) ends it as
  ``failed`` with that message and code; anything else as ``errored``, logged with
  its traceback. The lease is released whatever happened.

The pattern is NetBox's ``JobRunner`` (``netbox/netbox/jobs.py``): the job, not each
task, owns the bookkeeping, so every device task reports the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis

from blueprint_engine.devices.reconcile import iso_utc
from blueprint_engine.errors import FabricError
from workers.lease import Lease, lease_expires_at
from workers.outcome import Outcome, Status

log = logging.getLogger(__name__)


class DeviceJob:
    def __init__(self, client: redis.Redis, serial: str, name: str, *, wait_s: float = 0.0):
        self.client = client
        self.serial = serial
        self.name = name
        self.wait_s = wait_s

    def busy(self) -> Outcome:
        expires = lease_expires_at(self.client, self.serial)
        until = f" until {iso_utc(expires)}" if expires is not None else ""
        waited = f" (waited {self.wait_s:.0f} s)" if self.wait_s > 0 else ""
        return Outcome(
            Status.BUSY,
            serial=self.serial,
            reason=f"another deployment holds the device{until}{waited}",
        )

    def handle(self, work: Callable[[], Outcome]) -> Outcome:
        with Lease(self.client, self.serial, wait_s=self.wait_s) as held:
            if not held:
                return self.busy()
            try:
                return work()
            except FabricError as exc:
                return Outcome(
                    Status.FAILED,
                    serial=self.serial,
                    error=exc.message,
                    code=exc.code,
                    reason=exc.allowed or None,
                )
            except Exception as exc:
                log.exception("%s of %s errored", self.name, self.serial)
                return Outcome(
                    Status.ERRORED, serial=self.serial, error=f"{type(exc).__name__}: {exc}"[:2000]
                )
