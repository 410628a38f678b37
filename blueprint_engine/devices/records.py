"""Typed records of a managed device's state, as ``blueprint_engine.devices.registry`` writes and
reads them: what a push started and left, a deployment, a collection round's facts.
Pure: dataclasses and enums, no I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from blueprint_engine.devices.deviation import Verdict, evaluate
from blueprint_engine.devices.lifecycle import ConfigStage, Liveness
from blueprint_engine.devices.reconcile import UNPUSHED_STAGES, DeployFailure

GOLDEN = "golden"  # the running config collected right after the last successful deploy
RUNNING = "running"  # the running config as last collected
# the config stages a Device node holds: its pristine config, every stage Fabricgraph
# pushes as a whole (incremental is the blueprint's, per system), golden and running
DEVICE_CONFIG_STAGES = (
    *(
        s.value
        for s in ConfigStage
        if s is ConfigStage.PRISTINE
        or (s not in UNPUSHED_STAGES and s is not ConfigStage.INCREMENTAL)
    ),
    GOLDEN,
    RUNNING,
)
FAILED_REASON = "golden config unset: the last deploy failed"


class LastDeploy(StrEnum):
    """``Device.last_deploy``: how the device's last deployment went."""

    IN_PROGRESS = "in_progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class DeployOutcome(StrEnum):
    """``Deployment.status``: the outcome of one push."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class DeployState:
    """What the last deployments left on a device (``Devices.deploy_state``)."""

    deployed_hash: str | None
    deployed_stage: str | None
    full_service_push: bool
    golden_present: bool
    failure: DeployFailure | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> DeployState:
        failure = None
        if row["failed_hash"] is not None:
            failure = DeployFailure(
                row["failed_hash"],
                float(row["failed_at"]),
                int(row["failed_attempts"]) or 1,
                row["retry_after"],
            )
        return cls(
            row["deployed_hash"],
            row["deployed_stage"],
            bool(row["full_service_push"]),
            bool(row["golden_present"]),
            failure,
        )


@dataclass(frozen=True)
class PushStart:
    serial: str
    previous_golden: str | None  # the golden config before this push unset it


@dataclass(frozen=True)
class PushDone:
    """A push that finished (either way): what was pushed and what came back."""

    serial: str
    stage: str  # the config stage pushed
    push: str  # "full" | "incremental"
    text: str  # the config pushed
    reason: str  # why it was pushed
    seconds: float
    running: str = field(default="", repr=False)  # the running config after a success
    diff: str = ""
    manual: bool = False
    full_service_push: bool | None = None  # True/False: set the flag; None: keep it
    by: str | None = None  # the queue of the worker pool that pushed


@dataclass(frozen=True)
class Deployment:
    """One recorded deployment of a device."""

    uid: str
    serial: str
    stage: str
    push: str
    status: DeployOutcome
    detail: str
    diff: str
    seconds: float
    manual: bool
    attempts: int = 0  # failed deploys of this config in a row
    retry_after: float | None = None  # epoch seconds: when a failed deploy may be retried
    by: str | None = None  # the queue of the worker pool that pushed

    @classmethod
    def of(
        cls,
        done: PushDone,
        status: DeployOutcome,
        detail: str,
        attempts: int = 0,
        retry_after: float | None = None,
    ) -> Deployment:
        diff = done.diff if status is DeployOutcome.SUCCEEDED else ""
        return cls(
            uuid.uuid4().hex,
            done.serial,
            done.stage,
            done.push,
            status,
            detail,
            diff,
            done.seconds,
            done.manual,
            attempts,
            retry_after,
            done.by,
        )


@dataclass(frozen=True)
class RoundFacts:
    """What one collection round learnt about one device."""

    serial: str
    liveness: Liveness
    at: float  # epoch seconds: when the device was asked
    error: str | None = None  # why it did not answer
    running: str | None = field(default=None, repr=False)  # the running config judged
    verdict: Verdict | None = None  # None: the round could not judge the running config
    golden_at: str | None = None  # the golden config judged against (its stored time)


@dataclass(frozen=True)
class JudgeInputs:
    """What a running config is judged against (``blueprint_engine.devices.deviation``)."""

    golden: str | None = field(repr=False)
    golden_at: str | None  # when golden was stored: a new deploy changes it
    accepted_hash: str | None
    last_deploy: str | None

    @property
    def pushing(self) -> bool:
        """A push to the device has started and not ended: its running config is in flux."""
        return self.last_deploy == str(LastDeploy.IN_PROGRESS)

    def judge(self, running: str) -> Verdict:
        return evaluate(
            self.golden,
            running,
            self.accepted_hash,
            deploy_failed=self.last_deploy == LastDeploy.FAILED,
        )


def judged_row(serial: str, verdict: Verdict, at: float) -> dict[str, Any]:
    return {
        "serial": serial,
        "deviation": str(verdict.status),
        "reason": verdict.reason,
        "running_hash": verdict.running_hash,
        "at": at,
    }


def live_row(
    serial: str, liveness: Liveness, at: float, error: str | None = None
) -> dict[str, Any]:
    return {
        "serial": serial,
        "liveness": str(liveness),
        "at": at,
        "error": error[:2000] if error else None,
    }
