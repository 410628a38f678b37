"""Level-triggered deployment decisions for one device (pure).

The reconciler on the workers reads a ``DeviceSnapshot`` from the graph for each
device on every sweep (and on events) and does what ``decide`` returns. The
decision depends only on that state, never on which messages were delivered, so
a lost task, a crashed worker (its lease expires) or a flushed broker is healed
by the next sweep.

Order of the rules in ``decide``:

1. nothing is pushed to a device that is not acknowledged;
2. one deployment per device: while a lease is held, wait;
3. an unavailable device cannot be pushed to;
4. a failed deploy of the current intent is not retried until the failure is
   cleared, the intent changes, or its retry-after time has passed;
5. in sync (deployed hash == intended hash) with golden present: nothing to do;
6. an open, unaccepted config deviation blocks every push (only a confirmed
   ``manual_full_push`` overrides it);
7. in sync but golden missing: collect golden;
8. otherwise push: discovery stages and the first service push are full,
   later service changes are incremental.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from blueprint_engine.devices.lifecycle import (
    ConfigStage,
    DeployMode,
    DeviationStatus,
    DeviceState,
    Liveness,
)
from blueprint_engine.errors import (
    ConflictError,
    ServiceUnavailableError,
    TransitionError,
    ValidationError,
)

# Stages Fabricgraph never pushes: they are on the device before it is acknowledged.
UNPUSHED_STAGES = frozenset({ConfigStage.FACTORY, ConfigStage.PRE_INSTALL, ConfigStage.PRISTINE})
ALWAYS_FULL_STAGES = frozenset({ConfigStage.DISCOVERY1, ConfigStage.DISCOVERY2})

RETRY_BASE_S = 30.0
RETRY_CAP_S = 900.0


class ActionKind(StrEnum):
    NONE = "none"
    PUSH_FULL = "push_full"
    PUSH_INCREMENTAL = "push_incremental"
    BLOCKED = "blocked"
    COLLECT_GOLDEN = "collect_golden"


@dataclass(frozen=True)
class Action:
    """What the reconciler should do for one device now, and why."""

    kind: ActionKind
    reason: str
    stage: ConfigStage | None = None  # the stage to push (push actions only)
    retry_at: float | None = None  # blocked by a failure: when a retry becomes due


class ConfirmationRequiredError(ValidationError):
    """A destructive operation was asked for without its explicit confirmation."""

    code = "confirmation_required"


@dataclass(frozen=True)
class DeployFailure:
    """The last failed deploy of a device; the graph drops it when it is cleared."""

    config_hash: str  # hash of the intended config whose deploy failed
    failed_at: float  # epoch seconds
    attempts: int = 1
    retry_after: float | None = None  # epoch seconds; None: retry only when cleared


@dataclass(frozen=True)
class DeviceSnapshot:
    """What the graph knows about one device at ``observed_at`` (epoch seconds)."""

    device_id: str
    state: DeviceState | None
    deploy_mode: DeployMode
    liveness: Liveness
    intended_stage: ConfigStage | None  # lifecycle.intended_stage(state, deploy_mode)
    intended_hash: str | None  # hash of the rendered config for intended_stage
    deployed_hash: str | None  # hash of the last successfully deployed config
    golden_present: bool  # unset after a failed deploy
    deviation: DeviationStatus
    has_full_service_push: bool  # a full service push succeeded since the last discovery push
    observed_at: float
    lease_expires_at: float | None = None  # a deployment holds the device until then
    failure: DeployFailure | None = None


def next_retry_after(
    failed_at: float, attempts: int, *, base_s: float = RETRY_BASE_S, cap_s: float = RETRY_CAP_S
) -> float:
    """When a transient deploy failure may be retried: exponential backoff, capped."""
    if attempts < 1:
        raise ValidationError(
            f"a deploy failure has at least one attempt, got {attempts}", allowed="attempts >= 1"
        )
    return failed_at + min(cap_s, base_s * 2.0 ** (attempts - 1))


def iso_utc(epoch_s: float) -> str:
    """A time for people and logs: ISO 8601 in UTC to the second ("2026-12-01T20:15:07Z")."""
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _none(reason: str) -> Action:
    return Action(ActionKind.NONE, reason)


def _blocked(reason: str, retry_at: float | None = None) -> Action:
    return Action(ActionKind.BLOCKED, reason, retry_at=retry_at)


def _lease_held(device: DeviceSnapshot) -> bool:
    return device.lease_expires_at is not None and device.observed_at < device.lease_expires_at


def _failure_block(device: DeviceSnapshot) -> Action | None:
    failure = device.failure
    if failure is None or failure.config_hash != device.intended_hash:
        return None  # no failure, or the intent changed since it failed
    if failure.retry_after is not None and device.observed_at >= failure.retry_after:
        return None  # its backoff has elapsed
    when = (
        f"retry at {iso_utc(failure.retry_after)}"
        if failure.retry_after is not None
        else "clear the failure or change the intent to retry"
    )
    return _blocked(
        f"deploy of config {failure.config_hash} failed ({failure.attempts} attempt(s)); {when}",
        retry_at=failure.retry_after,
    )


def _push(device: DeviceSnapshot, stage: ConfigStage) -> Action:
    if stage in ALWAYS_FULL_STAGES:
        return Action(ActionKind.PUSH_FULL, f"{stage.value} is always a full push", stage)
    if not device.has_full_service_push:
        return Action(ActionKind.PUSH_FULL, "first service deployment is a full push", stage)
    return Action(
        ActionKind.PUSH_INCREMENTAL,
        f"intent changed from {device.deployed_hash} to {device.intended_hash}",
        stage,
    )


def _unmanaged(device: DeviceSnapshot) -> Action:
    state = device.state.value if device.state is not None else "not managed"
    return _none(f"nothing is pushed to a {state} device")


def _precondition_block(device: DeviceSnapshot, stage: ConfigStage) -> Action | None:
    """Rules 2 and 3, and a missing rendering."""
    if _lease_held(device):
        assert device.lease_expires_at is not None
        return _none(f"a deployment holds the device until {iso_utc(device.lease_expires_at)}")
    if device.liveness is Liveness.UNAVAILABLE:
        return _blocked("device agent unavailable: no config can be pushed until it reconnects")
    if device.intended_hash is None:
        return _blocked(f"the intended {stage.value} config has not been rendered")
    return None


def decide(device: DeviceSnapshot) -> Action:
    """The one action that moves ``device`` towards its intent (see the module rules)."""
    stage = device.intended_stage
    if stage is None or stage in UNPUSHED_STAGES:
        return _unmanaged(device)
    early = _precondition_block(device, stage) or _failure_block(device)
    if early is not None:
        return early
    in_sync = device.deployed_hash == device.intended_hash
    if in_sync and device.golden_present:
        return _none("deployed config matches intent")
    if device.deviation is DeviationStatus.OPEN:
        return _blocked(
            "a config deviation is open and not accepted; accept changes or run a confirmed "
            "manual full push"
        )
    if in_sync:
        return Action(ActionKind.COLLECT_GOLDEN, "deployed config matches intent; golden unset")
    return _push(device, stage)


def manual_full_push(device: DeviceSnapshot, confirm: bool) -> Action:
    """An operator-requested full push that overrides an open deviation or a failure.

    It overwrites every out-of-band change on the device and is likely to impact
    every service on it, so it is refused unless ``confirm`` is True.
    """
    if not confirm:
        raise ConfirmationRequiredError(
            f"a manual full push to device {device.device_id} overwrites every out-of-band "
            "change and is likely to impact all services on it",
            allowed="repeat the request with confirm=True",
        )
    stage = device.intended_stage
    if stage is None or stage in UNPUSHED_STAGES:
        state = device.state.value if device.state is not None else "not managed"
        raise TransitionError(
            f"cannot push a full config to device {device.device_id}: it is {state} and "
            "Fabricgraph pushes nothing to it",
            allowed="acknowledge the device first",
        )
    if _lease_held(device):
        assert device.lease_expires_at is not None
        raise ConflictError(
            f"a deployment holds device {device.device_id} until "
            f"{iso_utc(device.lease_expires_at)}",
            allowed="wait for it to finish, then push (or push with wait: it queues behind)",
        )
    if device.liveness is Liveness.UNAVAILABLE:
        raise ServiceUnavailableError(
            f"device {device.device_id} is unavailable: its agent is not connected",
            allowed="reconnect the device agent, then push",
        )
    return Action(ActionKind.PUSH_FULL, f"manual full push of {stage.value}, confirmed", stage)
