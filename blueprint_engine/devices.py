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

from blueprint_engine.db import Graph, Query, Tx
from blueprint_engine.deviation import Verdict, evaluate
from blueprint_engine.errors import NotFoundError
from blueprint_engine.lifecycle import (
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

REGISTER = Query(
    "devices.register",
    """
    MERGE (d:Device {serial: $serial})
    ON CREATE SET d.state = NULL, d.deploy_mode = 'not_set', d.deviation = 'none',
                  d.registered_at = datetime()
    SET d.hostname = $hostname, d.device_profile = $profile, d.nos = $nos,
        d.driver = $driver, d.driver_args = $driver_args, d.liveness = 'connected',
        d.worker_queue = $queue, d.last_seen = datetime()
    RETURN d.serial AS serial
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
DROP_CONFIG = Query(
    "devices.drop_config",
    "MATCH (:Device {serial: $serial})-[:HAS_CONFIG]->(c:Config {stage: $stage}) DETACH DELETE c",
)
CONFIGS = Query(
    "devices.configs",
    """
    MATCH (:Device {serial: $serial})-[:HAS_CONFIG]->(c:Config)
    RETURN c.stage AS stage, c.text AS text, toString(c.updated_at) AS at ORDER BY stage
    """,
)
SET_FIELDS = Query("devices.set_fields", "MATCH (d:Device {serial: $serial}) SET d += $fields")
RECORD_DEPLOYMENT = Query(
    "devices.record_deployment",
    """
    MATCH (d:Device {serial: $serial})
    CREATE (d)-[:HAS_DEPLOYMENT]->(:Deployment {uid: $uid, device: $serial, stage: $stage,
            push: $push, status: $status, detail: $detail, diff: $diff, seconds: $seconds,
            manual: $manual, at: datetime()})
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
              .reconcile_reason, system: s.id, blueprint: s.blueprint} AS d
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
    RETURN serial, collect(x {.uid, .stage, .push, .status, .detail, .diff, .seconds, .manual,
                              at: toString(x.at)})[..$limit] AS deployments
    """,
)
DEPLOY_STATE = Query(
    "devices.deploy_state",
    """
    MATCH (d:Device {serial: $serial})
    OPTIONAL MATCH (d)-[:HAS_CONFIG]->(g:Config {stage: 'golden'})
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
    WHERE d.state IS NOT NULL AND coalesce(d.worker_queue, $queue) = $queue
    RETURN d.serial AS serial ORDER BY serial
    """,
)
ACCEPT_INPUT = Query(
    "devices.accept_input",
    "MATCH (d:Device {serial: $serial}) RETURN d.running_hash AS running_hash",
)
RUNNING_INPUTS = Query(
    "devices.running_inputs",
    """
    MATCH (d:Device {serial: $serial})
    OPTIONAL MATCH (d)-[:HAS_CONFIG]->(g:Config {stage: 'golden'})
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


def _record(row: dict[str, Any]) -> Device:
    record = DeviceRecord(
        device_id=row["serial"],
        device_profile=row["device_profile"],
        state=DeviceState(row["state"]) if row.get("state") else None,
        deploy_mode=DeployMode(row.get("deploy_mode") or "not_set"),
        liveness=Liveness(row.get("liveness") or "unavailable"),
        system_id=row.get("system"),
        deviation=DeviationStatus(row.get("deviation") or "none"),
    )
    return Device(record, row["hostname"], row["nos"], row["driver"],
                  json.loads(row.get("driver_args") or "{}"), row.get("blueprint"))  # fmt: skip


class Devices:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def get(self, serial: str) -> Device:
        rows = self.graph.read(GET, serial=serial)
        if not rows:
            raise NotFoundError(f"no device with serial {serial!r}",
                                allowed="a serial registered by a device agent")  # fmt: skip
        return _record(rows[0]["d"])

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
    ) -> Transition:
        """The agent connects: the device appears OOS-QUARANTINED with its pristine config."""
        self.graph.write(
            REGISTER,
            serial=serial,
            hostname=hostname,
            profile=profile,
            nos=nos,
            driver=driver,
            driver_args=json.dumps(driver_args, sort_keys=True),
            queue=worker_queue,
        )
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
        self.store_config(serial, "pristine", pristine)
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
            facts = {"system_id": system, "system_profile": rows[0]["profile"],
                     "system_occupant": rows[0]["occupant"]}  # fmt: skip
        outcome = transition(device.record, event, **facts)
        self._save(serial, outcome, blueprint or device.blueprint)
        return outcome

    def _save(self, serial: str, outcome: Transition, blueprint: str | None) -> None:
        self.graph.write(SET_STATE, serial=serial, event=str(outcome.event),
                         state=str(outcome.state) if outcome.state else None,
                         mode=str(outcome.deploy_mode), bp=blueprint or "",
                         system=outcome.system_id or "", reason=outcome.reason)  # fmt: skip

    def deploy_state(self, serial: str) -> dict[str, Any]:
        """What the last deployments left on the device: hashes, golden, failure."""
        rows = self.graph.read(DEPLOY_STATE, serial=serial)
        if not rows:
            raise NotFoundError(f"no device with serial {serial!r}")
        return rows[0]

    def managed(self, queue: str) -> list[str]:
        """Serials of managed devices whose agent is served by the workers of ``queue``."""
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

    def record_running(self, serial: str, running: str) -> Verdict:
        """Store the collected running config and compare it with golden."""
        row = self.graph.read(RUNNING_INPUTS, serial=serial)
        if not row:
            raise NotFoundError(f"no device with serial {serial!r}")
        inputs = row[0]
        verdict = evaluate(inputs["golden"], running, inputs["accepted"],
                           deploy_failed=inputs["last_deploy"] == "failed")  # fmt: skip
        self.store_config(serial, "running", running)
        self.set_fields(serial, deviation=str(verdict.status), deviation_reason=verdict.reason,
                        running_hash=verdict.running_hash, liveness="connected",
                        running_checked_at=time.time())  # fmt: skip
        return verdict

    def accept_changes(self, serial: str) -> DeviceRecord:
        """Suppress the open deviation of ``serial``: golden config and intent are untouched."""
        device = self.get(serial)
        accepted = accept_changes(device.record)
        running_hash = self.graph.read(ACCEPT_INPUT, serial=serial)[0]["running_hash"]
        self.set_fields(
            serial,
            deviation=str(accepted.deviation),
            accepted_hash=running_hash,
            deviation_reason="running config differs from golden; changes accepted",
        )
        return accepted

    def store_config(self, serial: str, stage: str, text: str, tx: Tx | None = None) -> None:
        if tx is not None:
            self.graph.run(tx, STORE_CONFIG, serial=serial, stage=stage, text=text)
        else:
            self.graph.write(STORE_CONFIG, serial=serial, stage=stage, text=text)

    def drop_config(self, serial: str, stage: str) -> None:
        self.graph.write(DROP_CONFIG, serial=serial, stage=stage)

    def configs(self, serial: str) -> dict[str, str]:
        return {r["stage"]: r["text"] for r in self.graph.read(CONFIGS, serial=serial)}

    def set_fields(self, serial: str, **fields: Any) -> None:
        self.graph.write(SET_FIELDS, serial=serial, fields=fields)

    def record_deployment(
        self,
        serial: str,
        *,
        uid: str,
        stage: str,
        push: str,
        status: str,
        detail: str,
        diff: str,
        seconds: float,
        manual: bool = False,
    ) -> None:
        self.graph.write(
            RECORD_DEPLOYMENT,
            serial=serial,
            uid=uid,
            stage=stage,
            push=push,
            status=status,
            detail=detail,
            diff=diff,
            seconds=seconds,
            manual=manual,
        )
