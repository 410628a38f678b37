"""Managed devices in the graph, moved through the lifecycle table (``lifecycle``).

A ``Device`` node holds what the agent reported (serial, model, NOS, how to
reach it) and its managed state and deploy mode; ``ASSIGNED_TO`` ties it to a
blueprint system. Its config stages hang off it as ``Config {stage}`` nodes
(pristine, discovery1, discovery2, service, drain, golden). Credentials are
never stored: the worker takes them from its settings.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from blueprint_engine.devices.deviation import Verdict, config_hash, evaluate
from blueprint_engine.devices.lifecycle import (
    ConfigStage,
    DeployMode,
    DeviationStatus,
    DeviceRecord,
    DeviceState,
    Event,
    Liveness,
    PushKind,
    Transition,
    accept_changes,
    transition,
)
from blueprint_engine.devices.reconcile import next_retry_after
from blueprint_engine.devices.records import (
    DEVICE_CONFIG_STAGES,
    FAILED_REASON,
    GOLDEN,
    RUNNING,
    Deployment,
    DeployOutcome,
    DeployState,
    JudgeInputs,
    LastDeploy,
    PushDone,
    PushStart,
    RoundFacts,
    judged_row,
    live_row,
)
from blueprint_engine.devices.worker_pools import WorkerPools
from blueprint_engine.errors import NotFoundError
from blueprint_engine.graph.db import Graph, Query, Tx

__all__ = [
    "DEVICE_CONFIG_STAGES",
    "DeployOutcome",
    "DeployState",
    "Deployment",
    "Device",
    "Devices",
    "JudgeInputs",
    "LastDeploy",
    "PushDone",
    "PushStart",
    "RoundFacts",
]

REGISTER = Query(
    "devices.register",
    """
    MERGE (d:Device {serial: $serial})
    ON CREATE SET d.state = NULL, d.deploy_mode = $not_set, d.deviation = $no_deviation,
                  d.registered_at = datetime()
    SET d.hostname = $hostname, d.device_profile = $profile, d.nos = $nos,
        d.driver = $driver, d.driver_args = $driver_args, d.liveness = $connected,
        d.last_seen = datetime(), d.vendor = $vendor, d.model = $model,
        d.os_version = $os_version, d.credential = $credential, d.agent_stopped = false,
        d.nos_version_ok = $nos_ok, d.nos_version_allowed = $nos_allowed,
        d.host_key = coalesce(d.host_key, $host_key)
    RETURN d.serial AS serial
    """,
)
# the SSH host key first seen (trust on first use): recorded once, never overwritten
HOST_KEY_SEEN = Query(
    "devices.host_key_seen",
    """
    MATCH (d:Device {serial: $serial})
    SET d.host_key = coalesce(d.host_key, $host_key)
    RETURN d.host_key AS host_key
    """,
)
# an operator forgets the pinned host key (the device's key was changed on purpose): the
# next connection trusts the key it is offered and pins it
HOST_KEY_FORGOTTEN = Query(
    "devices.host_key_forgotten",
    """
    MATCH (d:Device {serial: $serial})
    WITH d, d.host_key AS previous
    CREATE (d)-[:HAD_EVENT]->(:DeviceEvent {device: $serial, event: 'forget_host_key',
            from_state: d.state, from_mode: d.deploy_mode, state: d.state,
            deploy_mode: d.deploy_mode, reason: $reason, at: datetime()})
    SET d.host_key = null
    RETURN previous
    """,
)
GET = Query(
    "devices.get",
    """
    MATCH (d:Device {serial: $serial})
    OPTIONAL MATCH (d)-[:ASSIGNED_TO]->(s:System)
    RETURN d {.*, system: s.id, blueprint: s.blueprint, system_profile: s.device_profile,
              last_seen: toString(d.last_seen), registered_at: toString(d.registered_at)} AS d
    """,
)
GET_MANY = Query(
    "devices.get_many",
    """
    UNWIND $serials AS serial
    MATCH (d:Device {serial: serial})
    OPTIONAL MATCH (d)-[:ASSIGNED_TO]->(s:System)
    RETURN d {.*, system: s.id, blueprint: s.blueprint, system_profile: s.device_profile,
              last_seen: toString(d.last_seen), registered_at: toString(d.registered_at)} AS d
    """,
)
LIST = Query(
    "devices.list",
    """
    MATCH (d:Device)
    OPTIONAL MATCH (d)-[:ASSIGNED_TO]->(s:System)
    RETURN d {.serial, .hostname, .device_profile, .state, .deploy_mode, .liveness,
              .deviation, system: s.id, blueprint: s.blueprint} AS d
    ORDER BY d.serial
    """,
)
OCCUPANT = Query(
    "devices.occupant",
    """
    MATCH (s:System {uid: $bp + '/' + $system})
    OPTIONAL MATCH (other:Device)-[:ASSIGNED_TO]->(s)
    RETURN s.device_profile AS profile, other.serial AS occupant
    """,
)
SET_STATE = Query(
    "devices.set_state",
    """
    MATCH (d:Device {serial: $serial})
    CREATE (d)-[:HAD_EVENT]->(:DeviceEvent {device: $serial, event: $event,
            from_state: d.state, from_mode: d.deploy_mode, state: $state, deploy_mode: $mode,
            system: $system, reason: $reason, at: datetime()})
    SET d.state = $state, d.deploy_mode = $mode, d.last_event = $event,
        d.last_event_at = datetime()
    WITH d
    OPTIONAL MATCH (d)-[old:ASSIGNED_TO]->(:System)
    DELETE old
    WITH d
    OPTIONAL MATCH (s:System {uid: $bp + '/' + $system})
    FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | MERGE (d)-[:ASSIGNED_TO]->(s))
    """,
)
STORE_CONFIG = Query(
    "devices.store_config",
    """
    MATCH (d:Device {serial: $serial})
    MERGE (d)-[:HAS_CONFIG]->(c:Config {stage: $stage})
    SET c.text = $text, c.device = $serial, c.updated_at = datetime()
    """,
)
CONFIGS = Query(
    "devices.configs",
    """
    MATCH (:Device {serial: $serial})-[:HAS_CONFIG]->(c:Config)
    RETURN c.stage AS stage, c.text AS text, toString(c.updated_at) AS at ORDER BY stage
    """,
)
RECORD_DEPLOYMENT = Query(
    "devices.record_deployment",
    """
    MATCH (d:Device {serial: $serial})
    CREATE (d)-[:HAS_DEPLOYMENT]->(:Deployment {uid: $uid, device: $serial, stage: $stage,
            push: $push, status: $status, detail: $detail, diff: $diff, seconds: $seconds,
            manual: $manual, by: $by, at: datetime()})
    """,
)


PUSH_STARTED = Query(
    "devices.push_started",
    """
    MATCH (d:Device {serial: $serial})
    OPTIONAL MATCH (d)-[:HAS_CONFIG]->(g:Config {stage: $golden})
    WITH d, g, g.text AS previous
    SET d.last_deploy = $last_deploy
    DETACH DELETE g
    RETURN previous
    """,
)
PUSH_SUCCEEDED = Query(
    "devices.push_succeeded",
    """
    MATCH (d:Device {serial: $serial})
    SET d.deployed_hash = $deployed_hash, d.deployed_stage = $stage,
        d.last_deploy = $last_deploy, d.last_error = null, d.deviation = $deviation,
        d.deviation_reason = $reason, d.accepted_hash = null, d.running_hash = $running_hash,
        d.failed_hash = null, d.failed_at = null, d.failed_attempts = null,
        d.retry_after = null, d.liveness = $liveness,
        d.full_service_push = coalesce($full_service_push, d.full_service_push)
    """,
)
FAILURE_OF = Query(
    "devices.failure_of",
    """
    MATCH (d:Device {serial: $serial})
    RETURN d.failed_hash AS failed_hash, coalesce(d.failed_attempts, 0) AS failed_attempts
    """,
)
PUSH_FAILED = Query(
    "devices.push_failed",
    """
    MATCH (d:Device {serial: $serial})
    OPTIONAL MATCH (d)-[:HAS_CONFIG]->(g:Config {stage: $golden})
    DETACH DELETE g
    WITH d
    SET d.last_deploy = $last_deploy, d.last_error = $error, d.deviation = $deviation,
        d.deviation_reason = $reason, d.accepted_hash = null, d.failed_hash = $failed_hash,
        d.failed_at = $failed_at, d.failed_attempts = $attempts, d.retry_after = $retry_after
    """,
)
DEVIATION_JUDGED = Query(
    "devices.deviation_judged",
    """
    UNWIND $rows AS r
    MATCH (d:Device {serial: r.serial})
    SET d.deviation = r.deviation, d.deviation_reason = r.reason,
        d.running_hash = r.running_hash, d.running_checked_at = r.at
    """,
)
ROUND_JUDGED = Query(
    "devices.round_judged",
    """
    UNWIND $rows AS r
    MATCH (d:Device {serial: r.serial})
    OPTIONAL MATCH (d)-[:HAS_CONFIG]->(g:Config {stage: $golden})
    WITH d, r, g
    WHERE coalesce(d.last_deploy, '') <> $in_progress
      AND coalesce(toString(g.updated_at), '') = coalesce(r.golden_at, '')
    MERGE (d)-[:HAS_CONFIG]->(c:Config {stage: $running})
    SET c.text = r.text, c.device = r.serial, c.updated_at = datetime(),
        d.deviation = r.deviation, d.deviation_reason = r.reason,
        d.running_hash = r.running_hash, d.running_checked_at = r.at
    RETURN r.serial AS serial
    """,
)
JUDGE_INPUTS = Query(
    "devices.judge_inputs",
    """
    UNWIND $serials AS serial
    MATCH (d:Device {serial: serial})
    OPTIONAL MATCH (d)-[:HAS_CONFIG]->(g:Config {stage: $golden})
    RETURN serial, g.text AS golden, toString(g.updated_at) AS golden_at,
           d.accepted_hash AS accepted, d.last_deploy AS last_deploy
    """,
)
UNJUDGED = Query(
    "devices.unjudged",
    """
    MATCH (d:Device)
    WHERE d.state IS NOT NULL AND EXISTS { (d)-[:PLACED_ON]->(:WorkerPool {queue: $queue}) }
      AND NOT coalesce(d.agent_stopped, false)
      AND NOT (d.deploy_mode IN $modes AND EXISTS { (d)-[:ASSIGNED_TO]->(:System) })
    RETURN d.serial AS serial ORDER BY serial
    """,
)
LIVENESS = Query(
    "devices.liveness",
    """
    UNWIND $rows AS r
    MATCH (d:Device {serial: r.serial})
    SET d.liveness = CASE WHEN coalesce(d.agent_stopped, false) THEN $unavailable
                          ELSE r.liveness END, d.last_collected_at = r.at,
        d.last_error = CASE WHEN r.error IS NULL THEN d.last_error ELSE r.error END
    FOREACH (_ IN CASE WHEN r.liveness = $connected THEN [1] ELSE [] END |
             SET d.last_seen = datetime())
    """,
)
RECONCILE_DECIDED = Query(
    "devices.reconcile_decided",
    """
    MATCH (d:Device {serial: $serial})
    SET d.reconcile_action = $action, d.reconcile_reason = $reason
    """,
)
CHANGES_ACCEPTED = Query(
    "devices.changes_accepted",
    """
    MATCH (d:Device {serial: $serial})
    SET d.deviation = $deviation, d.accepted_hash = d.running_hash, d.deviation_reason = $reason
    """,
)


LIST_MANY = Query(
    "devices.list_filtered",
    """
    MATCH (d:Device)
    OPTIONAL MATCH (d)-[:ASSIGNED_TO]->(s:System)
    WITH d, s WHERE ($blueprint IS NULL OR s.blueprint = $blueprint)
                AND ($serials IS NULL OR d.serial IN $serials)
    RETURN d {.serial, .hostname, .device_profile, .nos, .state, .deploy_mode, .liveness,
              .deviation, .deviation_reason, .last_deploy, .last_error, .reconcile_action,
              .reconcile_reason, .vendor, .model, .os_version, .agent, .nos_version_ok,
              .nos_version_allowed, .host_key,
              system: s.id, blueprint: s.blueprint} AS d
    ORDER BY d.serial
    """,
)
CONFIGS_MANY = Query(
    "devices.configs_many",
    """
    UNWIND $serials AS serial
    MATCH (:Device {serial: serial})-[:HAS_CONFIG]->(c:Config)
    RETURN serial, c.stage AS stage, c.text AS text ORDER BY serial, stage
    """,
)
HISTORY_MANY = Query(
    "devices.history_many",
    """
    UNWIND $serials AS serial
    MATCH (:Device {serial: serial})-[:HAD_EVENT]->(e:DeviceEvent)
    WITH serial, e ORDER BY e.at
    RETURN serial, collect(e {.event, .from_state, .from_mode, .state, .deploy_mode, .system,
                              .reason, at: toString(e.at)}) AS events
    """,
)
DEPLOYMENTS_MANY = Query(
    "devices.deployments_many",
    """
    UNWIND $serials AS serial
    MATCH (:Device {serial: serial})-[:HAS_DEPLOYMENT]->(x:Deployment)
    WITH serial, x ORDER BY x.at DESC
    RETURN serial, collect(x {.uid, .stage, .push, .status, .detail, .diff, .seconds, .manual, .by,
                              at: toString(x.at)})[..$limit] AS deployments
    """,
)
DEPLOY_STATE = Query(
    "devices.deploy_state",
    """
    MATCH (d:Device {serial: $serial})
    OPTIONAL MATCH (d)-[:HAS_CONFIG]->(g:Config {stage: $golden})
    RETURN d.deployed_hash AS deployed_hash, d.deployed_stage AS deployed_stage,
           coalesce(d.full_service_push, false) AS full_service_push,
           g IS NOT NULL AS golden_present, d.failed_hash AS failed_hash,
           d.failed_at AS failed_at, coalesce(d.failed_attempts, 0) AS failed_attempts,
           d.retry_after AS retry_after
    """,
)
MANAGED = Query(
    "devices.managed",
    """
    MATCH (d:Device)
    WHERE d.state IS NOT NULL AND EXISTS { (d)-[:PLACED_ON]->(:WorkerPool {queue: $queue}) }
      AND NOT coalesce(d.agent_stopped, false)
    RETURN d.serial AS serial ORDER BY serial
    """,
)
RUNNING_INPUTS = Query(
    "devices.running_inputs",
    """
    MATCH (d:Device {serial: $serial})
    OPTIONAL MATCH (d)-[:HAS_CONFIG]->(g:Config {stage: $golden})
    RETURN g.text AS golden, d.accepted_hash AS accepted, d.last_deploy AS last_deploy
    """,
)


@dataclass(frozen=True)
class Device:
    record: DeviceRecord
    hostname: str
    nos: str
    driver: str
    driver_args: dict[str, Any]
    blueprint: str | None
    credential: str | None = None  # the credential set's name (resolved on the workers)
    host_key: str | None = None  # the SSH host key pinned on first use ("ssh-ed25519 AAAA")


def _record(row: dict[str, Any]) -> Device:
    record = DeviceRecord(
        device_id=row["serial"],
        device_profile=row["device_profile"],
        state=DeviceState(row["state"]) if row.get("state") else None,
        deploy_mode=DeployMode(row.get("deploy_mode") or DeployMode.NOT_SET),
        liveness=Liveness(row.get("liveness") or Liveness.UNAVAILABLE),
        system_id=row.get("system"),
        deviation=DeviationStatus(row.get("deviation") or DeviationStatus.NONE),
    )
    return Device(
        record,
        row["hostname"],
        row["nos"],
        row["driver"],
        json.loads(row.get("driver_args") or "{}"),
        row.get("blueprint"),
        row.get("credential"),
        row.get("host_key"),
    )


class Devices:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def get(self, serial: str) -> Device:
        rows = self.graph.read(GET, serial=serial)
        if not rows:
            raise NotFoundError(
                f"no device with serial {serial!r}", allowed="a serial registered by a device agent"
            )
        return _record(rows[0]["d"])

    def get_many(self, serials: list[str]) -> dict[str, Device]:
        """{serial: device} of those ``serials`` that are registered, in one query."""
        return {
            r["d"]["serial"]: _record(r["d"]) for r in self.graph.read(GET_MANY, serials=serials)
        }

    def all(self) -> list[dict[str, Any]]:
        return [r["d"] for r in self.graph.read(LIST)]

    def register(
        self,
        serial: str,
        *,
        hostname: str,
        profile: str,
        nos: str,
        driver: str,
        driver_args: dict[str, Any],
        pristine: str,
        worker_queue: str | None = None,
        inventory: dict[str, Any] | None = None,
        credential: str | None = None,
        host_key: str | None = None,
    ) -> Transition:
        """The agent connects: the device appears OOS-QUARANTINED with its pristine config.
        ``inventory``: vendor, model and os_version as the device reported them, and
        ``nos_ok``/``nos_allowed``: its profile's OS version range and the verdict.
        ``host_key``: the SSH host key the driver trusted on first use, pinned unless the
        device has one already."""
        facts = inventory or {}
        self.graph.write(
            REGISTER,
            serial=serial,
            hostname=hostname,
            profile=profile,
            nos=nos,
            driver=driver,
            driver_args=json.dumps(driver_args, sort_keys=True),
            not_set=str(DeployMode.NOT_SET),
            no_deviation=str(DeviationStatus.NONE),
            connected=str(Liveness.CONNECTED),
            vendor=facts.get("vendor"),
            model=facts.get("model"),
            os_version=facts.get("os_version"),
            nos_ok=facts.get("nos_ok"),
            nos_allowed=facts.get("nos_allowed"),
            credential=credential,
            host_key=host_key,
        )
        WorkerPools(self.graph).place_new(serial, worker_queue)
        device = self.get(serial)
        if device.record.state is not None:  # an agent re-registering keeps its state
            record = device.record
            return Transition(
                serial,
                Event.INSTALL_AGENT,
                record.state,
                record.deploy_mode,
                None,
                PushKind.NONE,
                "agent reconnected",
                record.system_id,
            )
        outcome = transition(device.record, Event.INSTALL_AGENT)
        self.store_config(serial, str(ConfigStage.PRISTINE), pristine)
        self._save(serial, outcome, None)
        return outcome

    def event(
        self, serial: str, event: Event, *, blueprint: str | None = None, system: str | None = None
    ) -> Transition:
        """Apply a lifecycle event (refused with the allowed next steps when illegal)."""
        device = self.get(serial)
        facts: dict[str, Any] = {}
        if event is Event.ASSIGN:
            rows = self.graph.read(OCCUPANT, bp=blueprint, system=system)
            if not rows:
                raise NotFoundError(f"no system {system!r} in blueprint {blueprint!r}")
            facts = {
                "system_id": system,
                "system_profile": rows[0]["profile"],
                "system_occupant": rows[0]["occupant"],
            }
        outcome = transition(device.record, event, **facts)
        self._save(serial, outcome, blueprint or device.blueprint)
        return outcome

    def _save(self, serial: str, outcome: Transition, blueprint: str | None) -> None:
        self.graph.write(
            SET_STATE,
            serial=serial,
            event=str(outcome.event),
            state=str(outcome.state) if outcome.state else None,
            mode=str(outcome.deploy_mode),
            bp=blueprint or "",
            system=outcome.system_id or "",
            reason=outcome.reason,
        )

    def deploy_state(self, serial: str) -> DeployState:
        """What the last deployments left on the device: hashes, golden, failure."""
        rows = self.graph.read(DEPLOY_STATE, serial=serial, golden=GOLDEN)
        if not rows:
            raise NotFoundError(f"no device with serial {serial!r}")
        return DeployState.of(rows[0])

    def managed(self, queue: str) -> list[str]:
        """Serials of managed devices placed on the worker pool of ``queue``."""
        return [r["serial"] for r in self.graph.read(MANAGED, queue=queue)]

    def find(
        self, blueprint: str | None = None, serials: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Devices (optionally of one blueprint, or these serials) with their status."""
        return [r["d"] for r in self.graph.read(LIST_MANY, blueprint=blueprint, serials=serials)]

    def configs_of(self, serials: list[str]) -> dict[str, dict[str, str]]:
        """{serial: {stage: text}} for many devices in one query."""
        out: dict[str, dict[str, str]] = {s: {} for s in serials}
        for row in self.graph.read(CONFIGS_MANY, serials=serials):
            out[row["serial"]][row["stage"]] = row["text"]
        return out

    def histories_of(self, serials: list[str]) -> dict[str, list[dict[str, Any]]]:
        rows = self.graph.read(HISTORY_MANY, serials=serials)
        found = {r["serial"]: r["events"] for r in rows}
        return {s: found.get(s, []) for s in serials}

    def deployments_of(self, serials: list[str], limit: int) -> dict[str, list[dict[str, Any]]]:
        rows = self.graph.read(DEPLOYMENTS_MANY, serials=serials, limit=limit)
        found = {r["serial"]: r["deployments"] for r in rows}
        return {s: found.get(s, []) for s in serials}

    def history(self, serial: str) -> list[dict[str, Any]]:
        """Lifecycle events of the device, oldest first."""
        return self.histories_of([serial])[serial]

    def deployments(self, serial: str, limit: int = 50) -> list[dict[str, Any]]:
        """Deployments of the device, newest first."""
        return self.deployments_of([serial], limit)[serial]

    def store_config(self, serial: str, stage: str, text: str, tx: Tx | None = None) -> None:
        if tx is not None:
            self.graph.run(tx, STORE_CONFIG, serial=serial, stage=stage, text=text)
        else:
            self.graph.write(STORE_CONFIG, serial=serial, stage=stage, text=text)

    def configs(self, serial: str) -> dict[str, str]:
        return {r["stage"]: r["text"] for r in self.graph.read(CONFIGS, serial=serial)}

    # -- device state: one transaction per fact, each returning what it recorded ----------

    def push_started(self, serial: str) -> PushStart:
        """A push begins: golden is unset (nothing on the device is known good while it
        changes) and the deploy is in progress; returns the golden config it had."""
        rows = self.graph.write(
            PUSH_STARTED, serial=serial, golden=GOLDEN, last_deploy=str(LastDeploy.IN_PROGRESS)
        )
        if not rows:
            raise NotFoundError(f"no device with serial {serial!r}")
        return PushStart(serial, rows[0]["previous"])

    def push_succeeded(self, done: PushDone) -> Deployment:
        """The push committed: its stage config, golden = running, the deviation closed,
        the failure cleared and the deployment recorded, in one transaction."""
        deployment = Deployment.of(done, DeployOutcome.SUCCEEDED, done.reason)
        verdict = evaluate(done.running, done.running, None, deploy_failed=False)

        def work(tx: Tx) -> None:
            for stage, text in (
                (done.stage, done.text),
                (GOLDEN, done.running),
                (RUNNING, done.running),
            ):
                self.graph.run(tx, STORE_CONFIG, serial=done.serial, stage=stage, text=text)
            self.graph.run(
                tx,
                PUSH_SUCCEEDED,
                serial=done.serial,
                stage=done.stage,
                deployed_hash=config_hash(done.text),
                last_deploy=str(LastDeploy.SUCCEEDED),
                deviation=str(verdict.status),
                reason=verdict.reason,
                running_hash=verdict.running_hash,
                liveness=str(Liveness.CONNECTED),
                full_service_push=done.full_service_push,
            )
            self._deployment(tx, deployment)

        self.graph.write_tx(work)
        return deployment

    def push_failed(self, done: PushDone, error: str, now: float) -> Deployment:
        """The push failed: golden unset, a deviation opened, the failure counted (with its
        retry time) and the deployment recorded, in one transaction."""
        failed_hash = config_hash(done.text)

        def work(tx: Tx) -> Deployment:
            rows = self.graph.run(tx, FAILURE_OF, serial=done.serial)
            if not rows:
                raise NotFoundError(f"no device with serial {done.serial!r}")
            same = rows[0]["failed_hash"] == failed_hash
            attempts = (int(rows[0]["failed_attempts"]) if same else 0) + 1
            retry_after = next_retry_after(now, attempts)
            self.graph.run(
                tx,
                PUSH_FAILED,
                serial=done.serial,
                golden=GOLDEN,
                last_deploy=str(LastDeploy.FAILED),
                error=error,
                deviation=str(DeviationStatus.OPEN),
                reason=FAILED_REASON,
                failed_hash=failed_hash,
                failed_at=now,
                attempts=attempts,
                retry_after=retry_after,
            )
            deployment = Deployment.of(done, DeployOutcome.FAILED, error, attempts, retry_after)
            self._deployment(tx, deployment)
            return deployment

        return self.graph.write_tx(work)

    def _deployment(self, tx: Tx, d: Deployment) -> None:
        self.graph.run(
            tx,
            RECORD_DEPLOYMENT,
            serial=d.serial,
            uid=d.uid,
            stage=d.stage,
            push=str(d.push),
            status=str(d.status),
            detail=d.detail,
            diff=d.diff,
            seconds=d.seconds,
            manual=d.manual,
            by=d.by,
        )

    def golden_collected(self, serial: str, running: str) -> Verdict:
        """The deployed config matched intent but golden was unset: the running config
        becomes golden (and running), and the deviation is judged again, in one transaction."""

        def work(tx: Tx) -> Verdict:
            self.graph.run(tx, STORE_CONFIG, serial=serial, stage=GOLDEN, text=running)
            return self._judge(tx, serial, running)

        return self.graph.write_tx(work)

    def running_collected(self, serial: str, running: str) -> Verdict:
        """A running config collected from the device: stored, compared with golden (the
        deviation gate's fact) and the device marked connected, in one transaction."""
        return self.graph.write_tx(lambda tx: self._judge(tx, serial, running))

    def _judge(self, tx: Tx, serial: str, running: str) -> Verdict:
        rows = self.graph.run(tx, RUNNING_INPUTS, serial=serial, golden=GOLDEN)
        if not rows:
            raise NotFoundError(f"no device with serial {serial!r}")
        inputs = rows[0]
        verdict = evaluate(
            inputs["golden"],
            running,
            inputs["accepted"],
            deploy_failed=inputs["last_deploy"] == LastDeploy.FAILED,
        )
        now = time.time()
        self.graph.run(tx, STORE_CONFIG, serial=serial, stage=RUNNING, text=running)
        self.graph.run(tx, DEVIATION_JUDGED, rows=[judged_row(serial, verdict, now)])
        self.graph.run(
            tx,
            LIVENESS,
            rows=[live_row(serial, Liveness.CONNECTED, now)],
            connected=str(Liveness.CONNECTED),
            unavailable=str(Liveness.UNAVAILABLE),
        )
        return verdict

    def judge_inputs(self, serials: list[str]) -> dict[str, JudgeInputs]:
        """{serial: golden, its time, accepted hash, last deploy} in one query."""
        rows = self.graph.read(JUDGE_INPUTS, serials=serials, golden=GOLDEN)
        return {
            r["serial"]: JudgeInputs(r["golden"], r["golden_at"], r["accepted"], r["last_deploy"])
            for r in rows
        }

    def unjudged(self, queue: str, deployed_modes: list[str]) -> list[str]:
        """Managed devices of ``queue`` that no deployed blueprint's round collects from
        (acknowledged, not assigned, or assigned but not deployed)."""
        return [r["serial"] for r in self.graph.read(UNJUDGED, queue=queue, modes=deployed_modes)]

    def round_observed(self, seen: list[RoundFacts]) -> set[str]:
        """One collection round: each device's liveness and, where the round could judge
        it, its running config and deviation verdict, all in one transaction. It runs
        before the round's observations are ingested, so the gate that refuses pushes
        never lags the ``config_deviation`` anomaly derived from the same comparison.
        A verdict whose golden config changed meanwhile, or taken while a push is in
        progress, is not recorded; returns the serials whose verdict was."""
        live = [live_row(f.serial, f.liveness, f.at, f.error) for f in seen]
        judged = [
            {**judged_row(f.serial, f.verdict, f.at), "text": f.running, "golden_at": f.golden_at}
            for f in seen
            if f.verdict is not None and f.running is not None
        ]

        def work(tx: Tx) -> set[str]:
            rows = (
                self.graph.run(
                    tx,
                    ROUND_JUDGED,
                    rows=judged,
                    golden=GOLDEN,
                    running=RUNNING,
                    in_progress=str(LastDeploy.IN_PROGRESS),
                )
                if judged
                else []
            )
            self.graph.run(
                tx,
                LIVENESS,
                rows=live,
                connected=str(Liveness.CONNECTED),
                unavailable=str(Liveness.UNAVAILABLE),
            )
            return {str(r["serial"]) for r in rows}

        return self.graph.write_tx(work)

    def liveness_changed(self, serial: str, liveness: Liveness, error: str | None = None) -> None:
        """The device agent answered (connected) or did not (unavailable, with why)."""
        self.graph.write(
            LIVENESS,
            rows=[live_row(serial, liveness, time.time(), error)],
            connected=str(Liveness.CONNECTED),
            unavailable=str(Liveness.UNAVAILABLE),
        )

    def deviation_judged(self, serial: str, verdict: Verdict) -> None:
        """Record a deviation verdict reached elsewhere (e.g. replayed observations)."""
        self.graph.write(DEVIATION_JUDGED, rows=[judged_row(serial, verdict, time.time())])

    def reconcile_decided(self, serial: str, kind: str, reason: str) -> None:
        """What the reconciler decided for the device, and why (shown to operators)."""
        self.graph.write(RECONCILE_DECIDED, serial=serial, action=kind, reason=reason)

    def host_key_seen(self, serial: str, host_key: str) -> str:
        """A driver trusted ``host_key`` on first use: pinned unless the device has a
        key already; returns the device's pinned key."""
        rows = self.graph.write(HOST_KEY_SEEN, serial=serial, host_key=host_key)
        if not rows:
            raise NotFoundError(f"no device with serial {serial!r}")
        return str(rows[0]["host_key"])

    def forget_host_key(self, serial: str, by: str) -> str | None:
        """An operator unpins the device's SSH host key (the next connection pins the key
        it is offered); the forgotten key, recorded as a device event."""
        rows = self.graph.write(
            HOST_KEY_FORGOTTEN, serial=serial, reason=f"host key forgotten by {by}"
        )
        if not rows:
            raise NotFoundError(f"no device with serial {serial!r}")
        previous = rows[0]["previous"]
        return str(previous) if previous is not None else None

    def accept_changes(self, serial: str) -> DeviceRecord:
        """Suppress the open deviation of ``serial``: golden config and intent are untouched."""
        device = self.get(serial)
        accepted = accept_changes(device.record)
        self.graph.write(
            CHANGES_ACCEPTED,
            serial=serial,
            deviation=str(accepted.deviation),
            reason="running config differs from golden; changes accepted",
        )
        return accepted
