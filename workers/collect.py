"""Telemetry collection on the workers: NAPALM getters → observations → ingest.

``collect_blueprint(bp)`` is one collection round of a blueprint: it reads the
collector's intent of every switch in one query (``telemetry.collect_intent``),
opens the assigned devices concurrently (threads: the getters wait on the
devices, not on the CPU) and asks each for its liveness probe and running config
first: each running config is judged against golden once, the verdicts and
liveness are recorded on the devices in one transaction (the deviation gate), and
the device and config observations go to ``telemetry.ingest.ingest`` (the
``config_deviation`` anomaly). Then the other getters run on the devices still
open, and their observations (``telemetry.collect_map``) are ingested in one more
call, which writes what changed and evaluates only the expectations those changes
touch. Managed devices no deployed blueprint collects from are judged in the same
beat tick by ``collect_running``. A device that cannot be
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

While a push to a device is in progress (its ``last_deploy`` in the graph) its
running config is in flux, and a deployment that stored a new golden config
during the round makes the running config collected possibly older than golden:
in both cases that round leaves the device's ``config`` observation out (the
graph refuses the verdict in the same transaction that would record it). A job
that merely holds the device's lease (a reconcile sweep deciding there is nothing
to do) changes nothing on the device and does not hide its config.

A device being pushed (``last_deploy`` in progress and its deployment lease held) is
left out of the round altogether: whatever the getters read would be judged by
nothing, and on a switch's control-plane CPU (or the lab's one kernel) the round's
commands would slow the push down. The round after the push collects it; a push whose
worker died leaves the lease to expire (``workers.lease``), so no device stays out.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import redis

from blueprint_engine.devices.lifecycle import DEPLOYED_MODES, DeviationStatus, Liveness
from blueprint_engine.devices.records import LastDeploy
from blueprint_engine.devices.registry import Device, Devices, JudgeInputs, RoundFacts
from blueprint_engine.errors import FabricError, NotFoundError, ServiceUnavailableError
from blueprint_engine.events import EventKind, publish
from blueprint_engine.graph.db import Graph, Query
from telemetry.collect_intent import read_intents
from telemetry.collect_map import (
    DAEMONS_GETTER,
    UNREACHABLE,
    ConfigFacts,
    DeviceIntent,
    observations,
)
from telemetry.counters import Sent, with_rates
from telemetry.engine import reevaluate
from telemetry.ingest import IngestResult, ingest
from telemetry.model import Observation, ObservationKind
from telemetry.overlay_model import EVPN_GETTER
from workers.app import GraphTask, app
from workers.drivers import open_driver
from workers.lease import Lease, lease_key
from workers.outcome import Outcome, Status

GETTERS = (
    "get_facts",
    "get_interfaces",
    "get_lldp_neighbors_detail",
    "get_bgp_neighbors",
    "get_optics",
    "get_interfaces_counters",
)
MAX_THREADS = 16
# a round's lock is renewed while the round runs: a worker killed mid-round frees the
# blueprint for the next round within this long
ROUND_LOCK_TTL_S = 10.0
# a periodic tick that finds its blueprint's round still running asks that round for one
# more right after it (no idle gap until the next tick when a round outlasts the
# interval); one task runs at most this many rounds back to back
ROUNDS_BACK_TO_BACK = 5
RUNNING_ROUND_LOCK = "fabricgraph:collect:running-config"
# the counters this process sent last, so a round's rates need not read every previous
# sample (trusted only where the graph's digest says it holds them)
SENT_COUNTERS = Sent()

BLUEPRINTS_TO_COLLECT = Query(
    "collect.blueprints",
    """
    MATCH (d:Device)-[:ASSIGNED_TO]->(s:System)
    WHERE d.deploy_mode IN $modes
      AND EXISTS { (d)-[:PLACED_ON]->(:WorkerPool {queue: $queue}) }
    RETURN DISTINCT s.blueprint AS blueprint ORDER BY blueprint
    """,
)
QUEUES_OF_BLUEPRINT = Query(
    "collect.queues_of_blueprint",
    """
    MATCH (d:Device)-[:ASSIGNED_TO]->(:System {blueprint: $bp})
    MATCH (d)-[:PLACED_ON]->(p:WorkerPool)
    RETURN DISTINCT p.queue AS queue ORDER BY queue
    """,
)
BLUEPRINT_EXISTS = Query(
    "collect.blueprint_exists",
    "OPTIONAL MATCH (b:Blueprint {name: $bp}) RETURN b IS NOT NULL AS found",
)


# liveness, the routing daemons and the running config (a crashed bgpd explains the BGP
# section missing from the running config): judged first
FIRST = ("get_facts", DAEMONS_GETTER, "running_config")
# the observations the first pass ingests (the config one only when it could be judged)
FIRST_KINDS = frozenset({ObservationKind.DEVICE, ObservationKind.DAEMONS})


def _calls(driver: Any, evpn: bool = False) -> dict[str, Any]:
    """The getters of a round; ``evpn``: the device is a leaf whose intent has VNIs (its
    EVPN state is read only then: an underlay-only switch pays nothing for it)."""
    calls: dict[str, Any] = {name: getattr(driver, name) for name in GETTERS}
    if evpn and callable(getattr(driver, EVPN_GETTER, None)):  # beyond NAPALM: linuxfrr
        calls[EVPN_GETTER] = getattr(driver, EVPN_GETTER)
    calls["get_route_to"] = lambda: driver.get_route_to(destination="")
    if callable(getattr(driver, DAEMONS_GETTER, None)):  # beyond NAPALM: linuxfrr has it
        calls[DAEMONS_GETTER] = getattr(driver, DAEMONS_GETTER)
    calls["running_config"] = lambda: driver.get_config(retrieve="running")["running"]
    return calls


def settle_daemons(driver: Any, getters: dict[str, Any]) -> None:
    """Read the routing daemons again after the running config. When a daemon crashed
    or came back between the two reads, the running config was taken mid-change (with
    or without that daemon's section): both it and the daemons are left out of the
    round, so what the last round showed of them (a deviation explained by a daemon
    down) stays together until the next round sees both settled. Without a daemons
    getter there is nothing to settle."""
    if DAEMONS_GETTER not in getters or "running_config" not in getters:
        return
    try:
        after = getattr(driver, DAEMONS_GETTER)()
    except Exception as exc:  # NAPALM drivers raise their own exception kinds
        getters["errors"][DAEMONS_GETTER] = f"{type(exc).__name__}: {exc}"
        del getters[DAEMONS_GETTER], getters["running_config"]
        return
    if after != getters[DAEMONS_GETTER]:
        del getters[DAEMONS_GETTER], getters["running_config"]


def _run(driver: Any, names: tuple[str, ...] | None = None, evpn: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = {"errors": {}}
    for name, call in _calls(driver, evpn).items():
        if names is not None and name not in names:
            continue
        try:
            result[name] = call()
        except Exception as exc:  # NAPALM drivers raise their own exception kinds
            result["errors"][name] = f"{type(exc).__name__}: {exc}"
    return result


def run_getters(driver: Any) -> dict[str, Any]:
    """Every getter the collector maps; a getter that fails is reported under ``errors``.

    Routes come from one ``get_route_to`` of the whole RIB (one command per device
    instead of one per expected loopback); the running config from ``get_config``.
    """
    return _run(driver)


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


@dataclass(frozen=True)
class Opened:
    """A device of the round after its first getters, still open for the others."""

    round: DeviceRound
    driver: Any | None  # None: it did not open


def _only(names: tuple[str, ...], only: frozenset[str] | None) -> tuple[str, ...]:
    return names if only is None else tuple(n for n in names if n in only or n == "get_facts")


def collect_first(
    known: Mapping[str, Device],
    intent: DeviceIntent,
    only: frozenset[str] | None = None,
    devices: Devices | None = None,
) -> Opened:
    """Open the device assigned to ``intent``'s system (``known``: the round's devices,
    read in one query); its liveness probe and running config first (the round judges
    the config before the slower getters run). With ``only``: of these getters just those
    named (``get_facts`` always). A host key trusted on first use is pinned through
    ``devices``."""
    assert intent.serial is not None
    started, at = time.perf_counter(), time.time()
    try:
        driver = open_driver(_device_of(known, intent.serial), devices)
    except FabricError as exc:
        return Opened(DeviceRound(intent, {UNREACHABLE: exc.message}, at, 0.0), None)
    try:
        getters = _run(driver, _only(FIRST, only))
        settle_daemons(driver, getters)
    except BaseException:
        driver.close()
        raise
    return Opened(DeviceRound(intent, getters, at, time.perf_counter() - started), driver)


def _device_of(known: Mapping[str, Device], serial: str) -> Device:
    if serial not in known:
        raise NotFoundError(
            f"no device with serial {serial!r}", allowed="a serial registered by a device agent"
        )
    return known[serial]


def collect_rest(opened: Opened, only: frozenset[str] | None = None) -> DeviceRound:
    """The other getters of an opened device (with ``only``: those named), then close it."""
    first, driver = opened.round, opened.driver
    if driver is None:
        return first
    started = time.perf_counter()
    try:
        evpn = bool(first.intent.vnis)
        names = tuple(n for n in _calls(driver, evpn) if n not in FIRST)
        rest = _run(driver, _only(names, only), evpn)
    finally:
        driver.close()
    getters = {**first.getters, **rest, "errors": {**first.getters["errors"], **rest["errors"]}}
    return DeviceRound(
        first.intent, getters, first.at, first.seconds + time.perf_counter() - started
    )


def judge_opened(
    devices: Devices, client: redis.Redis, intent: DeviceIntent, driver: Any
) -> IngestResult:
    """The first pass of a round on a device already open (an event listener's): its
    liveness probe and running config, judged against golden and ingested
    (``judge_round``: verdict and liveness recorded, then the device and config
    observations)."""
    started, at = time.perf_counter(), time.time()
    getters = _run(driver, _only(FIRST, frozenset({"running_config"})))
    done = DeviceRound(intent, getters, at, time.perf_counter() - started)
    return judge_round(devices, client, intent.blueprint, [done])


def collect_one(devices: Devices, intent: DeviceIntent) -> DeviceRound:
    """Open the device assigned to ``intent``'s system and run the getters."""
    assert intent.serial is not None
    return collect_rest(collect_first(devices.get_many([intent.serial]), intent, None, devices))


def config_facts(r: DeviceRound, pushing: bool, golden_at: str | None) -> ConfigFacts | None:
    """The running/golden pair to compare, or None when this round cannot judge it: a
    push to the device is in progress, or one stored a new golden config during the
    round (the running config collected may predate it)."""
    running = r.getters.get("running_config")
    if not isinstance(running, str) or pushing or golden_at != r.intent.golden_at:
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
    queue: str | None = None,
    only: frozenset[str] | None = None,
) -> dict[str, Any]:
    """One collection round of ``bp`` (or of its ``systems``; with ``queue``, of its
    devices placed on that queue's worker pool only; with ``only``, of those getters
    and ``get_facts``: what is not collected keeps what the graph holds); a JSON-able
    summary.

    First every device's liveness probe and running config (concurrently): the round's
    running-config verdicts and liveness are recorded on the devices in one transaction
    (``Devices.round_observed``), then the device and config observations are ingested,
    so the deviation gate and the ``config_deviation`` anomaly come from the same
    comparison, the gate first, and neither waits for the slower getters. Then the
    other getters of the devices still open, and their observations.
    """
    started = time.perf_counter()
    intents = [
        i
        for i in read_intents(graph, bp, systems, queue=queue)
        if i.serial is not None and (not deployed_only or i.deploy_mode in DEPLOYED_MODES)
    ]
    pushed = being_pushed(client, intents)
    intents = [i for i in intents if i.serial not in pushed]
    devices = Devices(graph)
    if not intents:
        return _summary(bp, [], [], started, 0.0, pushed)
    known = devices.get_many([str(i.serial) for i in intents])
    with ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(intents))) as pool:
        opened = list(pool.map(lambda i: collect_first(known, i, only, devices), intents))
        try:
            first = judge_round(devices, client, bp, [o.round for o in opened])
        except BaseException:
            for o in opened:
                if o.driver is not None:
                    o.driver.close()
            raise
        rounds = list(pool.map(lambda o: collect_rest(o, only), opened))
    collected_s = time.perf_counter() - started
    rest: list[Observation] = []
    for r in rounds:  # the device and daemon facts (and an unreachable device's) came first
        if reachable(r.getters):
            obs = observations(r.intent, r.getters, r.at, None)
            rest += [o for o in obs if o.kind not in FIRST_KINDS]
    rest = with_rates(graph, bp, rest, SENT_COUNTERS)  # counters: rates from the previous sample
    return _summary(bp, rounds, [first, ingest(graph, client, rest)], started, collected_s, pushed)


def being_pushed(client: redis.Redis, intents: list[DeviceIntent]) -> dict[str, str]:
    """{serial: system} of the devices a push is running on now: ``last_deploy`` in
    progress in the graph and the deployment lease held in Redis (one round trip, only
    for the devices the graph says are being pushed)."""
    in_progress = str(LastDeploy.IN_PROGRESS)
    candidates = [i for i in intents if i.serial is not None and i.last_deploy == in_progress]
    if not candidates:
        return {}
    pipe = client.pipeline(transaction=False)
    for i in candidates:
        pipe.exists(lease_key(str(i.serial)))
    held = pipe.execute()
    return {str(i.serial): i.system for i, h in zip(candidates, held, strict=True) if h}


def judge_round(
    devices: Devices, client: redis.Redis, bp: str, rounds: list[DeviceRound]
) -> IngestResult:
    """Judge each device's running config, record verdicts and liveness, then ingest the
    device and config observations."""
    serials = [str(r.intent.serial) for r in rounds]
    judges = devices.judge_inputs(serials)
    pushing = [s in judges and judges[s].pushing for s in serials]
    configs = [
        config_facts(r, busy, judges[s].golden_at if s in judges else None)
        for r, s, busy in zip(rounds, serials, pushing, strict=True)
    ]
    facts = [_facts(r, c, judges.get(s)) for r, s, c in zip(rounds, serials, configs, strict=True)]
    judged = devices.round_observed(facts)
    observed: list[Observation] = []
    for r, serial, config in zip(rounds, serials, configs, strict=True):
        observed += observations(r.intent, r.getters, r.at, config if serial in judged else None)
    _publish_deviations(client, bp, rounds, facts, judged)
    return ingest(devices.graph, client, observed)


def _summary(
    bp: str,
    rounds: list[DeviceRound],
    results: list[IngestResult],
    started: float,
    collected_s: float,
    pushed: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    summary = {
        "devices": len(rounds),
        "skipped_pushing": sorted((pushed or {}).values()),
        "unreachable": sorted(r.intent.system for r in rounds if not reachable(r.getters)),
        "errors": {r.intent.system: r.error for r in rounds if r.error},
        "observations": sum(r.observations for r in results),
        "changed": sum(r.changed for r in results),
        "anomalies_raised": sum(len(r.anomalies_raised) for r in results),
        "anomalies_cleared": sum(len(r.anomalies_cleared) for r in results),
        "root_causes_opened": sum(len(r.root_causes_opened) for r in results),
        "root_causes_cleared": sum(len(r.root_causes_cleared) for r in results),
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
    queue: str | None = None,
) -> dict[str, Any]:
    """One collection round of a blueprint (with ``queue``: of its devices on that
    queue's pool). A round already running makes this a no-op (``busy``), unless
    ``wait_s``: then it waits that long for it to finish first. A periodic tick
    (``deployed_only``) that finds the round running asks it for another: the round
    then runs again as soon as it ends (``rounds``: how many this task ran)."""
    client = _client(self)
    key = f"fabricgraph:collect:{blueprint}" + (f"@{queue}" if queue else "")
    again = f"{key}:again"
    with Lease(client, blueprint, key=key, wait_s=wait_s, ttl_s=ROUND_LOCK_TTL_S) as held:
        if not held:
            if deployed_only:
                client.set(again, 1, ex=max(1, round(ROUND_LOCK_TTL_S)))
            return Outcome(
                Status.BUSY,
                blueprint=blueprint,
                reason="a collection round of this blueprint is running",
            ).as_dict()
        rounds = 0
        while True:
            client.delete(again)  # this round answers every tick that came before it
            result = _round(self, client, blueprint, systems, deployed_only, queue)
            rounds += 1
            if rounds >= ROUNDS_BACK_TO_BACK or not client.exists(again):
                return {**result, "rounds": rounds}


def _round(
    task: GraphTask,
    client: redis.Redis,
    blueprint: str,
    systems: list[str] | None,
    deployed_only: bool,
    queue: str | None,
) -> dict[str, Any]:
    try:
        return collect_round(
            task.graph,
            client,
            blueprint,
            systems=systems,
            deployed_only=deployed_only,
            queue=queue,
        )
    except FabricError as exc:
        return Outcome(Status.FAILED, blueprint=blueprint, error=str(exc)).as_dict()


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
    """The periodic sweep: a round for every blueprint with deployed devices of this pool
    (of those devices only: another pool's devices are that pool's to collect)."""
    blueprints = collected_blueprints(self)
    queue = self.settings.celery_queue
    for bp in blueprints:
        collect_blueprint.apply_async(
            (bp,),
            {"deployed_only": True, "queue": queue},
            queue=queue,
            expires=self.settings.collect_interval_s,
        )
    collect_running.apply_async(expires=self.settings.collect_interval_s)
    return blueprints


@app.task(name="fabricgraph.collect_running", base=GraphTask, bind=True)
def collect_running(self: GraphTask) -> dict[str, Any]:
    """The rest of the round: managed devices no deployed blueprint collects from
    (acknowledged, unassigned, or not deployed) have their running config judged."""
    client = _client(self)
    queue = self.settings.celery_queue
    key = f"{RUNNING_ROUND_LOCK}@{queue}"
    with Lease(client, queue, key=key, ttl_s=ROUND_LOCK_TTL_S) as held:
        if not held:
            return Outcome(Status.BUSY, reason="a running-config round is running").as_dict()
        devices = Devices(self.graph)
        serials = devices.unjudged(queue, [str(m) for m in DEPLOYED_MODES])
        judged = running_round(devices, client, serials)
        return Outcome(
            Status.COLLECTED, details={"devices": len(serials), "judged": sorted(judged)}
        ).as_dict()


def _running_of(devices: Devices, serial: str) -> tuple[str | None, str | None, float]:
    """(running config, None) or (None, why the device did not answer), and when."""
    at = time.time()
    try:
        driver = open_driver(devices.get(serial), devices)
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
        elif judge is None or judge.pushing:
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
    # one round per worker pool holding devices of the blueprint, on that pool's queue
    queues = [r["queue"] for r in graph.read(QUEUES_OF_BLUEPRINT, bp=bp)]
    deadline = time.monotonic() + timeout_s
    pending = [
        (q, collect_blueprint.apply_async((bp,), {"wait_s": timeout_s / 2, "queue": q}, queue=q))
        for q in queues
    ] or [(None, collect_blueprint.delay(bp, wait_s=timeout_s / 2))]
    results = []
    for queue, task in pending:
        try:
            results.append(task.get(timeout=max(0.1, deadline - time.monotonic())))
        except CeleryTimeout:
            raise ServiceUnavailableError(
                f"no collection round of {bp!r} finished within {timeout_s:.0f} s",
                allowed=f"a running worker on queue {queue or app.conf.task_default_queue!r}"
                " (make worker)",
            ) from None
    for result in results:
        if Outcome.of(result).status is Status.FAILED:
            raise ServiceUnavailableError(
                f"collection of {bp!r} failed: {result.get('error')}",
                allowed="see the worker log",
            )
    return merged_rounds(results)


SUMMED = (
    "devices",
    "observations",
    "changed",
    "anomalies_raised",
    "anomalies_cleared",
    "root_causes_opened",
    "root_causes_cleared",
)


def merged_rounds(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One summary of the rounds several pools ran for one blueprint (pure): counts
    summed, lists and errors joined, the longest time; busy when any was busy."""
    if len(results) == 1:
        return results[0]
    out: dict[str, Any] = dict(results[0])
    for key in SUMMED:
        out[key] = sum(int(r.get(key, 0)) for r in results)
    out["unreachable"] = sorted(u for r in results for u in r.get("unreachable", []))
    out["errors"] = {k: v for r in results for k, v in (r.get("errors") or {}).items()}
    out["seconds"] = max(float(r.get("seconds", 0.0)) for r in results)
    busy = [r for r in results if r.get("status") == Status.BUSY.value]
    if busy:
        out["status"], out["reason"] = Status.BUSY.value, busy[0].get("reason")
    return out
