"""Push one config stage to one device: NAPALM load, compare, commit, golden config.

Callers hold the device's lease (``workers.lease``): one deployment per device at
a time. After a successful push the running config is collected as the golden
config; a failed push discards the candidate, unsets golden, records the
failure (with its retry time) and opens a config deviation: nothing on the
device is known to be good any more. Progress is published on Redis.

Incremental pushes: on Linux/FRR the intended config is loaded as a replace
candidate and ``frr-reload`` applies only the delta between running and intended
(the same delta as the preview); daemons keep running and sessions stay up. On
NOSes with a merge model the delta itself is loaded as a merge candidate.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import redis

from blueprint_engine.deviation import config_hash
from blueprint_engine.devices import Devices
from blueprint_engine.events import EventKind, publish
from blueprint_engine.lifecycle import ConfigStage
from blueprint_engine.reconcile import ALWAYS_FULL_STAGES, ActionKind, next_retry_after
from blueprint_engine.rendering import incremental
from workers.drivers import open_driver


@dataclass(frozen=True)
class Push:
    serial: str
    stage: ConfigStage
    kind: ActionKind  # PUSH_FULL or PUSH_INCREMENTAL
    text: str  # the rendered config of ``stage``
    reason: str
    manual: bool = False


def _event(client: redis.Redis, push: Push, system: str | None, bp: str | None,
           status: str, **extra: Any) -> None:  # fmt: skip
    publish(client, EventKind.DEPLOYMENT, {"blueprint": bp, "serial": push.serial,
            "system": system, "stage": push.stage.value, "push": _push_name(push),
            "status": status, **extra})  # fmt: skip


def _push_name(push: Push) -> str:
    return "incremental" if push.kind is ActionKind.PUSH_INCREMENTAL else "full"


def _load(driver: Any, nos: str, push: Push, golden: str | None) -> None:
    if push.kind is ActionKind.PUSH_INCREMENTAL and nos != "linux_frr" and golden is not None:
        driver.load_merge_candidate(config=incremental(nos, golden, push.text))
    else:
        driver.load_replace_candidate(config=push.text)


def execute(devices: Devices, client: redis.Redis, push: Push) -> dict[str, Any]:
    """Carry out ``push`` (the caller holds the lease); returns its outcome."""
    device = devices.get(push.serial)
    system, bp = device.record.system_id, device.blueprint
    _event(client, push, system, bp, "started", reason=push.reason)
    golden = devices.configs(push.serial).get("golden")
    # while the device changes nothing on it is known good: a worker killed from here on
    # leaves golden unset, and the reconciler's next sweep redoes the push
    devices.drop_config(push.serial, "golden")
    devices.set_fields(push.serial, last_deploy="in_progress")
    started = time.perf_counter()
    try:
        driver = open_driver(device)
    except Exception as exc:
        return _failed(devices, client, push, system, bp, exc, started)
    try:
        _load(driver, device.nos, push, golden)
        diff = driver.compare_config()
        driver.commit_config()
        running = driver.get_config(retrieve="running")["running"]
    except Exception as exc:
        try:
            driver.discard_config()
        finally:
            outcome = _failed(devices, client, push, system, bp, exc, started)
        return outcome
    finally:
        driver.close()
    seconds = time.perf_counter() - started
    _succeeded(devices, push, running, diff, seconds)
    _event(client, push, system, bp, "succeeded", seconds=seconds)
    return {"serial": push.serial, "stage": push.stage.value, "push": _push_name(push),
            "status": "succeeded", "seconds": seconds}  # fmt: skip


def _succeeded(devices: Devices, push: Push, running: str, diff: str, seconds: float) -> None:
    serial = push.serial
    devices.store_config(serial, push.stage.value, push.text)
    devices.store_config(serial, "golden", running)
    devices.store_config(serial, "running", running)
    full_service = push.stage is ConfigStage.SERVICE and push.kind is ActionKind.PUSH_FULL
    fields: dict[str, Any] = {
        "deployed_hash": config_hash(push.text), "deployed_stage": push.stage.value,
        "last_deploy": "succeeded", "last_error": None, "deviation": "none",
        "deviation_reason": "running config equals golden", "accepted_hash": None,
        "running_hash": config_hash(running), "failed_hash": None, "failed_at": None,
        "failed_attempts": None, "retry_after": None, "liveness": "connected",
    }  # fmt: skip
    if push.stage in ALWAYS_FULL_STAGES:
        fields["full_service_push"] = False
    elif full_service:
        fields["full_service_push"] = True
    devices.set_fields(serial, **fields)
    devices.record_deployment(serial, uid=uuid.uuid4().hex, stage=push.stage.value,
                              push=_push_name(push), status="succeeded", detail=push.reason,
                              diff=diff, seconds=seconds, manual=push.manual)  # fmt: skip


def _failed(devices: Devices, client: redis.Redis, push: Push, system: str | None,
            bp: str | None, exc: Exception, started: float) -> dict[str, Any]:  # fmt: skip
    serial = push.serial
    error = f"{type(exc).__name__}: {exc}"[:2000]
    seconds = time.perf_counter() - started
    state = devices.deploy_state(serial)
    failed_hash = config_hash(push.text)
    attempts = (int(state["failed_attempts"]) if state["failed_hash"] == failed_hash else 0) + 1
    now = time.time()
    devices.drop_config(serial, "golden")  # a failed deploy unsets golden
    devices.set_fields(serial, last_deploy="failed", last_error=error, deviation="open",
                       deviation_reason="golden config unset: the last deploy failed",
                       accepted_hash=None, failed_hash=failed_hash, failed_at=now,
                       failed_attempts=attempts,
                       retry_after=next_retry_after(now, attempts))  # fmt: skip
    devices.record_deployment(serial, uid=uuid.uuid4().hex, stage=push.stage.value,
                              push=_push_name(push), status="failed", detail=error, diff="",
                              seconds=seconds, manual=push.manual)  # fmt: skip
    _event(client, push, system, bp, "failed", error=error, seconds=seconds)
    return {"serial": serial, "stage": push.stage.value, "push": _push_name(push),
            "status": "failed", "error": error}  # fmt: skip
