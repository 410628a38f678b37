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
from blueprint_engine.devices import Devices
from blueprint_engine.errors import FabricError, NotFoundError, ServiceUnavailableError
from telemetry.collect_intent import golden_stamps, read_intents
from telemetry.collect_map import (
    DAEMONS_GETTER,
    UNREACHABLE,
    ConfigFacts,
    DeviceIntent,
    observations,
)
from telemetry.engine import reevaluate
from telemetry.ingest import ingest
from telemetry.model import Observation, ObservationKind
from workers.app import GraphTask, app
from workers.drivers import open_driver
from workers.lease import lease_key

GETTERS = (
    "get_facts",
    "get_interfaces",
    "get_lldp_neighbors_detail",
    "get_bgp_neighbors",
    "get_optics",
)
DEPLOYED_MODES = ("deploy", "drain")
MAX_THREADS = 16
ROUND_LOCK_TTL_S = 120.0

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
SET_LIVENESS = Query(
    "collect.liveness",
    """
    UNWIND $rows AS r
    MATCH (d:Device {serial: r.serial})
    SET d.liveness = r.liveness, d.last_collected_at = r.at
    FOREACH (_ IN CASE WHEN r.liveness = 'connected' THEN [1] ELSE [] END |
             SET d.last_seen = datetime())
    """,
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
    if callable(getattr(driver, DAEMONS_GETTER, None)):  # beyond NAPALM: linuxfrr has it
        calls[DAEMONS_GETTER] = getattr(driver, DAEMONS_GETTER)
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


def collect_round(
    graph: Graph,
    client: redis.Redis,
    bp: str,
    *,
    systems: list[str] | None = None,
    deployed_only: bool = False,
) -> dict[str, Any]:
    """One collection round of ``bp`` (or of its ``systems``); a JSON-able summary."""
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
    stamps = golden_stamps(graph, serials)
    deploying = [bool(client.exists(lease_key(s))) for s in serials]
    observed: list[Observation] = []
    live: list[dict[str, Any]] = []
    unreachable: list[str] = []
    for r, serial, busy in zip(rounds, serials, deploying, strict=True):
        obs = observations(r.intent, r.getters, r.at, config_facts(r, busy, stamps.get(serial)))
        reachable = not (obs[0].kind is ObservationKind.DEVICE and not obs[0].value["reachable"])
        if not reachable:
            unreachable.append(r.intent.system)
        live.append({"serial": serial, "liveness": "connected" if reachable else "unavailable",
                     "at": r.at})  # fmt: skip
        observed += obs
    graph.write(SET_LIVENESS, rows=live)
    result = ingest(graph, client, observed)
    return {
        "blueprint": bp,
        "status": "collected",
        "devices": len(rounds),
        "unreachable": sorted(unreachable),
        "errors": {r.intent.system: r.error for r in rounds if r.error},
        "observations": result.observations,
        "changed": result.changed,
        "anomalies_raised": len(result.anomalies_raised),
        "anomalies_cleared": len(result.anomalies_cleared),
        "root_causes_opened": len(result.root_causes_opened),
        "root_causes_cleared": len(result.root_causes_cleared),
        "collect_seconds": round(collected_s, 3),
        "slowest_device_seconds": round(max((r.seconds for r in rounds), default=0.0), 3),
        "seconds": round(time.perf_counter() - started, 3),
        "at": time.time(),
    }


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
    lock = client.lock(f"fabricgraph:collect:{blueprint}", timeout=ROUND_LOCK_TTL_S,
                       blocking=wait_s > 0, blocking_timeout=wait_s or None)  # fmt: skip
    if not lock.acquire():
        return {"blueprint": blueprint, "status": "busy",
                "reason": "a collection round of this blueprint is running"}  # fmt: skip
    try:
        return collect_round(self.graph, client, blueprint, systems=systems,
                             deployed_only=deployed_only)  # fmt: skip
    except FabricError as exc:
        return {"blueprint": blueprint, "status": "failed", "error": str(exc)}
    finally:
        lock.release()


@app.task(name="fabricgraph.collect_device", base=GraphTask, bind=True)
def collect_device(self: GraphTask, serial: str) -> dict[str, Any]:
    """On-demand collection of one managed device (assigned to a blueprint system)."""
    device = Devices(self.graph).get(serial)
    if device.blueprint is None or device.record.system_id is None:
        return {"serial": serial, "status": "failed",
                "error": f"device {serial} is not assigned to a blueprint system"}  # fmt: skip
    return collect_round(self.graph, _client(self), device.blueprint,
                         systems=[device.record.system_id])  # fmt: skip


def collected_blueprints(task: GraphTask) -> list[str]:
    """Blueprints with deployed devices served by this worker pool."""
    rows = task.graph.read(BLUEPRINTS_TO_COLLECT, modes=list(DEPLOYED_MODES),
                           queue=task.settings.celery_queue)  # fmt: skip
    return [r["blueprint"] for r in rows]


@app.task(name="fabricgraph.collect_all", base=GraphTask, bind=True)
def collect_all(self: GraphTask) -> list[str]:
    """The periodic sweep: a round for every blueprint with deployed devices of this pool."""
    blueprints = collected_blueprints(self)
    for bp in blueprints:
        collect_blueprint.apply_async((bp,), {"deployed_only": True},
                                      expires=self.settings.collect_interval_s)  # fmt: skip
    return blueprints


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
    if result.get("status") == "failed":
        raise ServiceUnavailableError(
            f"collection of {bp!r} failed: {result.get('error')}", allowed="see the worker log"
        )
    return result
