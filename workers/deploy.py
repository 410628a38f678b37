"""Push one config stage to one device: NAPALM load, compare, commit, golden config.

Callers hold the device's lease (``workers.lease``): one deployment per device at
a time. After a successful push the running config is collected as the golden
config; a failed push discards the candidate, unsets golden, records the
failure (with its retry time) and opens a config deviation: nothing on the
device is known to be good any more. Progress is published on Redis.

Incremental pushes: on Linux/FRR the intended config is loaded as a replace
candidate and ``frr-reload`` applies only the delta between running and intended
(the same delta as the preview); daemons keep running and sessions stay up. On
NOSes with a merge model (eos, nxos, junos) hier_config's remediation from the golden
config to the intended one (negations included) is loaded as a merge candidate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import redis

from blueprint_engine.configs.rendering import incremental
from blueprint_engine.devices.lifecycle import ConfigStage
from blueprint_engine.devices.reconcile import ALWAYS_FULL_STAGES, ActionKind
from blueprint_engine.devices.registry import Devices, PushDone
from blueprint_engine.events import EventKind, publish
from workers.drivers import open_driver
from workers.outcome import Outcome, Status


@dataclass(frozen=True)
class Push:
    serial: str
    stage: ConfigStage
    kind: ActionKind  # PUSH_FULL or PUSH_INCREMENTAL
    text: str  # the rendered config of ``stage``
    reason: str
    manual: bool = False
    by: str | None = None  # the queue of the worker pool pushing


def _event(
    client: redis.Redis, push: Push, system: str | None, bp: str | None, status: str, **extra: Any
) -> None:
    publish(
        client,
        EventKind.DEPLOYMENT,
        {
            "blueprint": bp,
            "serial": push.serial,
            "system": system,
            "stage": push.stage.value,
            "push": _push_name(push),
            "status": status,
            **extra,
        },
    )


def _push_name(push: Push) -> str:
    return "incremental" if push.kind is ActionKind.PUSH_INCREMENTAL else "full"


def load_candidate(driver: Any, nos: str, push: Push, golden: str | None) -> str:
    """Load ``push`` as the device's candidate; returns the text loaded. An incremental
    push to a NOS that merges loads the remediation from the golden (last collected
    running) config to the intended one (``renderers.remediation``, hier_config's
    commands with their negations); anything else is the intended config as a replace."""
    if push.kind is ActionKind.PUSH_INCREMENTAL and nos != "linux_frr" and golden is not None:
        commands = incremental(nos, golden, push.text)
        driver.load_merge_candidate(config=commands)
        return commands
    driver.load_replace_candidate(config=push.text)
    return push.text


def execute(devices: Devices, client: redis.Redis, push: Push) -> Outcome:
    """Carry out ``push`` (the caller holds the lease); returns its outcome."""
    device = devices.get(push.serial)
    system, bp = device.record.system_id, device.blueprint
    _event(client, push, system, bp, "started", reason=push.reason)
    # while the device changes nothing on it is known good: a worker killed from here on
    # leaves golden unset, and the reconciler's next sweep redoes the push
    golden = devices.push_started(push.serial).previous_golden
    started = time.perf_counter()
    try:
        driver = open_driver(device, devices)
    except Exception as exc:
        return _failed(devices, client, push, system, bp, exc, started)
    try:
        load_candidate(driver, device.nos, push, golden)
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
    done = _done(push, time.perf_counter() - started, running, diff)
    deployment = devices.push_succeeded(done)
    _event(client, push, system, bp, "succeeded", seconds=deployment.seconds)
    return Outcome(
        Status.SUCCEEDED,
        serial=push.serial,
        stage=push.stage.value,
        push=_push_name(push),
        seconds=deployment.seconds,
    )


def _full_service_flag(push: Push) -> bool | None:
    """A discovery push resets "a full service push happened"; a full service push sets it."""
    if push.stage in ALWAYS_FULL_STAGES:
        return False
    if push.stage is ConfigStage.SERVICE and push.kind is ActionKind.PUSH_FULL:
        return True
    return None


def _done(push: Push, seconds: float, running: str = "", diff: str = "") -> PushDone:
    return PushDone(
        push.serial,
        push.stage.value,
        _push_name(push),
        push.text,
        push.reason,
        seconds,
        running,
        diff,
        push.manual,
        _full_service_flag(push),
        push.by,
    )


def _failed(
    devices: Devices,
    client: redis.Redis,
    push: Push,
    system: str | None,
    bp: str | None,
    exc: Exception,
    started: float,
) -> Outcome:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    done = _done(push, time.perf_counter() - started)
    deployment = devices.push_failed(done, error, time.time())
    _event(client, push, system, bp, "failed", error=error, seconds=deployment.seconds)
    return Outcome(
        Status.FAILED,
        serial=push.serial,
        stage=push.stage.value,
        push=_push_name(push),
        error=error,
    )
