"""Push one config stage to one device: NAPALM replace, compare, commit, golden config.

One deployment per device at a time (a Redis lock is the lease; the task is
acked late, so a worker killed mid-push leaves the message for another). After a
successful push the running config is collected as the golden config; a failed
push rolls back, unsets golden and records the failure.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import redis

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.devices import Devices
from blueprint_engine.errors import FabricError
from renderers.context import Stage
from workers.app import GraphTask, app
from workers.drivers import open_driver
from workers.stages import config_for

LEASE_SECONDS = 300


def _push(blueprints: Blueprints, devices: Devices, serial: str, stage: Stage) -> dict[str, Any]:
    device = devices.get(serial)
    text = config_for(device, stage, blueprints, devices)
    started = time.perf_counter()
    driver = open_driver(device)
    try:
        driver.load_replace_candidate(config=text)
        diff = driver.compare_config()
        driver.commit_config()
        running = driver.get_config(retrieve="running")["running"]
    except Exception as exc:
        try:
            driver.discard_config()
        finally:
            devices.drop_config(serial, "golden")  # a failed deploy unsets golden
            devices.set_fields(serial, last_deploy="failed", last_error=str(exc)[:2000])
            devices.record_deployment(
                serial,
                uid=uuid.uuid4().hex,
                stage=str(stage),
                push="full",
                status="failed",
                detail=str(exc)[:2000],
                diff="",
                seconds=time.perf_counter() - started,
            )
        return {"serial": serial, "stage": str(stage), "status": "failed", "error": str(exc)}
    finally:
        driver.close()
    devices.store_config(serial, str(stage), text)
    devices.store_config(serial, "golden", running)
    devices.set_fields(serial, last_deploy="succeeded", last_error=None, deviation="none")
    seconds = time.perf_counter() - started
    devices.record_deployment(
        serial,
        uid=uuid.uuid4().hex,
        stage=str(stage),
        push="full",
        status="succeeded",
        detail="",
        diff=diff,
        seconds=seconds,
    )
    return {"serial": serial, "stage": str(stage), "status": "succeeded", "seconds": seconds}


@app.task(name="fabricgraph.push_stage", base=GraphTask, bind=True, acks_late=True)
def push_stage(self: GraphTask, serial: str, stage: str) -> dict[str, Any]:
    """Full push of ``stage`` (discovery1, discovery2, service, drain) to device ``serial``."""
    lock = redis.Redis.from_url(self.settings.redis_url).lock(
        f"fabricgraph:deploy:{serial}", timeout=LEASE_SECONDS, blocking=False
    )
    if not lock.acquire():
        return {"serial": serial, "stage": stage, "status": "busy",
                "error": "another deployment to this device is in progress"}  # fmt: skip
    try:
        return _push(Blueprints(self.graph), Devices(self.graph), serial, Stage(stage))
    except FabricError as exc:
        return {"serial": serial, "stage": stage, "status": "failed", "error": str(exc)}
    finally:
        lock.release()
