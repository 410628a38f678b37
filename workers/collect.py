"""Telemetry collection on the workers: NAPALM getters → observations → ingest.

``collect_blueprint(bp)`` is one collection round of a blueprint: it reads the
collector's intent of every switch in one query (``telemetry.collect_intent``),
opens the assigned devices concurrently (threads: the getters wait on the
devices, not on the CPU), maps each device's getter results to observations
(``telemetry.collect_map``), records each device's liveness, and hands the whole
round to ``telemetry.ingest.ingest`` in one call, which writes what changed and
evaluates only the expectations those changes touch. A device that cannot be
opened becomes one ``device`` observation with ``reachable`` false and its
``Device.liveness`` becomes ``unavailable`` (``connected`` again on the next
round it answers).

Periodic collection is a Celery beat entry (``workers.app``): every
``FG_COLLECT_INTERVAL_S`` seconds ``collect_all`` starts a round for each
blueprint with deployed devices served by this worker pool. A round that is
still running when the next tick comes makes that tick a no-op (a Redis lock per
blueprint), and a tick not picked up within one interval expires, so a slow
round never piles work up. Evaluation is event-driven (ingest evaluates what
changed); every ``FG_TELEMETRY_SWEEP_INTERVAL_S`` seconds ``telemetry_sweep``
re-evaluates those blueprints level-triggered (``telemetry.engine.reevaluate``),
so verdicts that depend on time (an LLDP neighbour still unheard after its grace
period) and anything a lost event missed are settled without a new change.
``fabricgraph collect <bp>`` and the GraphQL mutation
``collectTelemetry`` run a round on demand.

While a deployment holds a device (its lease ``fabricgraph:deploy:<serial>``)
its running config is in flux, and a deployment that stored a new golden config
during the round makes the running config collected possibly older than golden:
in both cases that round leaves the device's ``config`` observation out.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import redis

from blueprint_engine.db import Graph, Query
from blueprint_engine.devices import Devices, JudgeInputs, RoundFacts
from blueprint_engine.errors import FabricError, NotFoundError, ServiceUnavailableError
from blueprint_engine.events import EventKind, publish
from blueprint_engine.lifecycle import DEPLOYED_MODES, DeviationStatus, Liveness
from telemetry.collect_intent import read_intents
from telemetry.collect_map import UNREACHABLE, ConfigFacts, DeviceIntent, observations
from telemetry.engine import reevaluate
from telemetry.ingest import ingest
from telemetry.model import Observation
from workers.app import GraphTask, app
from workers.drivers import open_driver
from workers.lease import lease_key
from workers.outcome import Outcome, Status

GETTERS = (
    "get_facts",
    "get_interfaces",
    "get_lldp_neighbors_detail",
    "get_bgp_neighbors",
    "get_optics",
)
MAX_THREADS = 16
ROUND_LOCK_TTL_S = 120.0
RUNNING_ROUND_LOCK = "fabricgraph:collect:running-config"

BLUEPRINTS_TO_COLLECT = Query(
    "collect.blueprints",
    """
    MATCH (d:Device)-[:ASSIGNED_TO]->(s:System)
    WHERE d.deploy_mode IN $modes AND coalesce(d.worker_queue, $queue) = $queue
    RETURN DISTINCT s.blueprint AS blueprint ORDER BY blueprint
    """,
)
BLUEPRINT_EXISTS = Query(
    "collect.blueprint_exists",
    "OPTIONAL MATCH (b:Blueprint {name: $bp}) RETURN b IS NOT NULL AS found",
)


def run_getters(driver: Any) -> dict[str, Any]:
    """Every getter the collector maps; a getter that fails is reported under ``errors``.

    Routes come from one ``get_route_to`` of the whole RIB (one command per device
    instead of one per expected loopback); the running config from ``get_config``.
    """
    result: dict[str, Any] = {"errors": {}}
    calls: dict[str, Any] = {name: getattr(driver, name) for name in GETTERS}
    calls["get_route_to"] = lambda: driver.get_route_to(destination="")
    calls["running_config"] = lambda: driver.get_config(retrieve="running")["running"]
    for name, call in calls.items():
        try:
            result[name] = call()
        except Exception as exc:  # NAPALM drivers raise their own exception kinds
            result["errors"][name] = f"{type(exc).__name__}: {exc}"
    return result


@dataclass(frozen=True)
class DeviceRound:
    intent: DeviceIntent
    getters: dict[str, Any]
    at: float  # when the getters started (the observations' time)
    seconds: float

    @property
    def error(self) -> str | None:
        errors = self.getters.get("errors") or {}
        return self.getters.get(UNREACHABLE) or errors.get("get_facts")


def collect_one(devices: Devices, intent: DeviceIntent) -> DeviceRound:
    """Open the device assigned to ``intent``'s system and run the getters."""
    assert intent.serial is not None
    started, at = time.perf_counter(), time.time()
    try:
        driver = open_driver(devices.get(intent.serial))
    except FabricError as exc:
        getters: dict[str, Any] = {UNREACHABLE: exc.message}
    else:
        try:
            getters = run_getters(driver)
        finally:
            driver.close()
    return DeviceRound(intent, getters, at, time.perf_counter() - started)


def config_facts(r: DeviceRound, deploying: bool, golden_at: str | None) -> ConfigFacts | None:
    """The running/golden pair to compare, or None when this round cannot judge it: a
    deployment holds the device, or one stored a new golden config during the round
    (the running config collected may predate it)."""
    running = r.getters.get("running_config")
    if not isinstance(running, str) or deploying or golden_at != r.intent.golden_at:
        return None
    return ConfigFacts(r.intent.golden, running, r.intent.last_deploy)


def reachable(getters: dict[str, Any]) -> bool:
    """The device opened and answered ``get_facts`` (its liveness probe)."""
    return (
        UNREACHABLE not in getters
        and "get_facts" in getters
        and ("get_facts" not in (getters.get("errors") or {}))
    )


def _facts(r: DeviceRound, config: ConfigFacts | None, judge: JudgeInputs | None) -> RoundFacts:
    serial = str(r.intent.serial)
    if not reachable(r.getters):
        return RoundFacts(serial, Liveness.UNAVAILABLE, r.at, r.error)
    if config is None or judge is None:
        return RoundFacts(serial, Liveness.CONNECTED, r.at)
    return RoundFacts(
        serial,
        Liveness.CONNECTED,
        r.at,
        None,
        config.running,
        judge.judge(config.running),
        judge.golden_at,
    )


def collect_round(
    graph: Graph,
    client: redis.Redis,
    bp: str,
    *,
    systems: list[str] | None = None,
    deployed_only: bool = False,
) -> dict[str, Any]:
    """One collection round of ``bp`` (or of its ``systems``); a JSON-able summary.

    The round's running-config verdicts and liveness are recorded on the devices in one
    transaction (``Devices.round_observed``) before its observations are ingested: the
    deviation gate and the ``config_deviation`` anomaly come from the same comparison.
    """
    started = time.perf_counter()
    intents = [
        i
        for i in read_intents(graph, bp, systems)
        if i.serial is not None and (not deployed_only or i.deploy_mode in DEPLOYED_MODES)
    ]
    devices = Devices(graph)
    rounds: list[DeviceRound] = []
    if intents:
        with ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(intents))) as pool:
            rounds = list(pool.map(lambda i: collect_one(devices, i), intents))
    collected_s = time.perf_counter() - started
    serials = [str(r.intent.serial) for r in rounds]
    judges = devices.judge_inputs(serials)
    deploying = [bool(client.exists(lease_key(s))) for s in serials]
    configs = [
        config_facts(r, busy, judges[s].golden_at if s in judges else None)
        for r, s, busy in zip(rounds, serials, deploying, strict=True)
    ]
    facts = [_facts(r, c, judges.get(s)) for r, s, c in zip(rounds, serials, configs, strict=True)]
    judged = devices.round_observed(facts)
    observed: list[Observation] = []
    for r, serial, config in zip(rounds, serials, configs, strict=True):
        observed += observations(r.intent, r.getters, r.at, config if serial in judged else None)
    _publish_deviations(client, bp, rounds, facts, judged)
    result = ingest(graph, client, observed)
    summary = {
        "devices": len(rounds),
        "unreachable": sorted(r.intent.system for r in rounds if not reachable(r.getters)),
        "errors": {r.intent.system: r.error for r in rounds if r.error},
        "observations": result.observations,
        "changed": result.changed,
        "anomalies_raised": len(result.anomalies_raised),
        "anomalies_cleared": len(result.anomalies_cleared),
        "root_causes_opened": len(result.root_causes_opened),
        "root_causes_cleared": len(result.root_causes_cleared),
        "collect_seconds": round(collected_s, 3),
        "slowest_device_seconds": round(max((r.seconds for r in rounds), default=0.0), 3),
        "at": time.time(),
    }
    seconds = round(time.perf_counter() - started, 3)
    return Outcome(Status.COLLECTED, blueprint=bp, seconds=seconds, details=summary).as_dict()


def _publish_deviations(
    client: redis.Redis,
    bp: str | None,
    rounds: list[DeviceRound],
    facts: list[RoundFacts],
    judged: set[str],
) -> None:
    """A device whose deviation status changed this round: one telemetry event."""
    for r, f in zip(rounds, facts, strict=True):
        before = r.intent.deviation or DeviationStatus.NONE
        if f.verdict is not None and f.serial in judged and f.verdict.status != before:
            publish(
                client,
                EventKind.TELEMETRY,
                {
                    "blueprint": bp,
                    "serial": f.serial,
                    "system": r.intent.system,
                    "kind": "config",
                    "deviation": f.verdict.status.value,
                    "reason": f.verdict.reason,
                },
            )


def _client(task: GraphTask) -> redis.Redis:
    return redis.Redis.from_url(task.settings.redis_url)


@app.task(name="fabricgraph.collect_blueprint", base=GraphTask, bind=True)
def collect_blueprint(
    self: GraphTask,
    blueprint: str,
    systems: list[str] | None = None,
    deployed_only: bool = False,
    wait_s: float = 0.0,
) -> dict[str, Any]:
    """One collection round of a blueprint. A round already running makes this a no-op
    (``busy``), unless ``wait_s``: then it waits that long for it to finish first."""
    client = _client(self)
    lock = client.lock(
        f"fabricgraph:collect:{blueprint}",
        timeout=ROUND_LOCK_TTL_S,
        blocking=wait_s > 0,
        blocking_timeout=wait_s or None,
    )
    if not lock.acquire():
        return Outcome(
            Status.BUSY,
            blueprint=blueprint,
            reason="a collection round of this blueprint is running",
        ).as_dict()
    try:
        return collect_round(
            self.graph, client, blueprint, systems=systems, deployed_only=deployed_only
        )
    except FabricError as exc:
        return Outcome(Status.FAILED, blueprint=blueprint, error=str(exc)).as_dict()
    finally:
        lock.release()


@app.task(name="fabricgraph.collect_device", base=GraphTask, bind=True)
def collect_device(self: GraphTask, serial: str) -> dict[str, Any]:
    """On-demand collection of one managed device (assigned to a blueprint system)."""
    device = Devices(self.graph).get(serial)
    if device.blueprint is None or device.record.system_id is None:
        why = f"device {serial} is not assigned to a blueprint system"
        return Outcome(Status.FAILED, serial=serial, error=why).as_dict()
    return collect_round(
        self.graph, _client(self), device.blueprint, systems=[device.record.system_id]
    )


def collected_blueprints(task: GraphTask) -> list[str]:
    """Blueprints with deployed devices served by this worker pool."""
    rows = task.graph.read(
        BLUEPRINTS_TO_COLLECT,
        modes=[str(m) for m in DEPLOYED_MODES],
        queue=task.settings.celery_queue,
    )
    return [r["blueprint"] for r in rows]


@app.task(name="fabricgraph.collect_all", base=GraphTask, bind=True)
def collect_all(self: GraphTask) -> list[str]:
    """The periodic sweep: a round for every blueprint with deployed devices of this pool."""
    blueprints = collected_blueprints(self)
    for bp in blueprints:
        collect_blueprint.apply_async(
            (bp,), {"deployed_only": True}, expires=self.settings.collect_interval_s
        )
    collect_running.apply_async(expires=self.settings.collect_interval_s)
    return blueprints


@app.task(name="fabricgraph.collect_running", base=GraphTask, bind=True)
def collect_running(self: GraphTask) -> dict[str, Any]:
    """The rest of the round: managed devices no deployed blueprint collects from
    (acknowledged, unassigned, or not deployed) have their running config judged."""
    client = _client(self)
    lock = client.lock(RUNNING_ROUND_LOCK, timeout=ROUND_LOCK_TTL_S, blocking=False)
    if not lock.acquire():
        return Outcome(Status.BUSY, reason="a running-config round is running").as_dict()
    try:
        devices = Devices(self.graph)
        serials = devices.unjudged(self.settings.celery_queue, [str(m) for m in DEPLOYED_MODES])
        judged = running_round(devices, client, serials)
        return Outcome(
            Status.COLLECTED, details={"devices": len(serials), "judged": sorted(judged)}
        ).as_dict()
    finally:
        lock.release()


def _running_of(devices: Devices, serial: str) -> tuple[str | None, str | None, float]:
    """(running config, None) or (None, why the device did not answer), and when."""
    at = time.time()
    try:
        driver = open_driver(devices.get(serial))
    except FabricError as exc:
        return None, exc.message, at
    try:
        return str(driver.get_config(retrieve="running")["running"]), None, at
    except Exception as exc:  # NAPALM drivers raise their own exception kinds
        return None, f"{type(exc).__name__}: {exc}", at
    finally:
        driver.close()


def running_round(devices: Devices, client: redis.Redis, serials: list[str]) -> set[str]:
    """Collect and judge the running config of ``serials``; the serials judged."""
    if not serials:
        return set()
    judges = devices.judge_inputs(serials)  # before collecting: a newer golden is refused
    with ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(serials))) as pool:
        results = list(pool.map(lambda s: _running_of(devices, s), serials))
    facts = []
    for serial, (running, error, at) in zip(serials, results, strict=True):
        judge = judges.get(serial)
        if running is None:
            facts.append(RoundFacts(serial, Liveness.UNAVAILABLE, at, error))
        elif judge is None or client.exists(lease_key(serial)):  # a deployment holds it
            facts.append(RoundFacts(serial, Liveness.CONNECTED, at))
        else:
            facts.append(
                RoundFacts(
                    serial,
                    Liveness.CONNECTED,
                    at,
                    None,
                    running,
                    judge.judge(running),
                    judge.golden_at,
                )
            )
    return devices.round_observed(facts)


@app.task(name="fabricgraph.telemetry_sweep", base=GraphTask, bind=True)
def telemetry_sweep(self: GraphTask) -> dict[str, dict[str, int]]:
    """Re-evaluate every collected blueprint level-triggered; what was raised/cleared."""
    client = _client(self)
    out: dict[str, dict[str, int]] = {}
    for bp in collected_blueprints(self):
        outcome = reevaluate(self.graph, client, bp)
        out[bp] = {"raised": len(outcome.raised), "cleared": len(outcome.cleared)}
    return out


def request_round(graph: Graph, bp: str, timeout_s: float = 60.0) -> dict[str, Any]:
    """On demand: a collection round of ``bp`` on the workers, waited for (CLI, GraphQL)."""
    from celery.exceptions import TimeoutError as CeleryTimeout

    if not graph.read(BLUEPRINT_EXISTS, bp=bp)[0]["found"]:
        raise NotFoundError(f"no blueprint named {bp!r}", allowed="an existing blueprint name")
    pending = collect_blueprint.delay(bp, wait_s=timeout_s / 2)
    try:
        result: dict[str, Any] = pending.get(timeout=timeout_s)
    except CeleryTimeout:
        raise ServiceUnavailableError(
            f"no collection round of {bp!r} finished within {timeout_s:.0f} s",
            allowed=f"a running worker on queue {app.conf.task_default_queue!r} (make worker)",
        ) from None
    if Outcome.of(result).status is Status.FAILED:
        raise ServiceUnavailableError(
            f"collection of {bp!r} failed: {result.get('error')}", allowed="see the worker log"
        )
    return result
