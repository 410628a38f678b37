"""Event-driven detection: one listener per worker pool keeps an event stream open to
each deployed device of its pool; what a device reports reaches the graph at once.

``python -m workers.listener`` (``deploy/services.sh start listener``, started by
``make run`` and ``make listener`` beside the pool's worker and beat) serves
``FG_CELERY_QUEUE``'s pool. Every ``REFRESH_S`` it reads which deployed devices are
placed on the pool and keeps one watcher thread per device. A watcher opens the
device's driver and its event stream (``open_event_stream``: on a lab switch the
kernel's link notifications and bgpd's neighbour state changes,
``napalm_linuxfrr.events``; a driver without one leaves the device to polling).

An event is handled in three steps, none waiting for a collection round:

1. **its facts** (``telemetry.event_facts``): the port's state or the session's, and
   what the watcher reads from the device for it right away (that port's optic; the
   RIB entry of the session's peer loopback, read again for at most ``ROUTE_SETTLE_S``
   until it follows the session) become observations, ingested by the ``facts``
   thread with the same ``telemetry.ingest.ingest`` (write, evaluation, root causes)
   as a round; a round that is running meanwhile delays nothing;
2. a session change on a switch none of whose ports changed in the last
   ``LINK_EXPLAINS_S`` (nor in the ``JUDGE_SETTLE_S`` after it) also has the switch's
   running config judged against golden by the watcher on its open driver
   (``workers.collect.judge_opened``, a round's first pass: an out-of-band change
   takes a session down; the deviation gate and ``config_deviation`` come from that
   comparison);
3. every switch that reported is collected whole ``FG_EVENT_FOLLOW_UP_S`` later (the
   ``collector`` thread; ``workers.event_batch.Pending``): what settles after the event
   (routes after a session comes up) and anything the event's facts missed.

Bounded everywhere: a stream that fails or ends is reopened with exponential backoff
(``backoff_s``, at most 30 s) and, once reopened, its device is collected whole (what it
missed while disconnected); queued facts are at most ``FACTS_QUEUE`` batches (past
that a batch is dropped: its follow-up round still collects the switch); pending
rounds are one entry per system; a round is bounded by the drivers' own timeouts. The
periodic round (``collect_all``) stays the level-triggered safety net: a lost event
costs latency, never correctness. Rounds and event facts may overlap: an observation
older than the one stored is ignored (``telemetry.ingest``), so the later reading wins.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

import redis

from blueprint_engine.devices.lifecycle import DEPLOYED_MODES
from blueprint_engine.devices.registry import Devices
from blueprint_engine.errors import FabricError
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings, load_settings
from telemetry import event_facts
from telemetry.collect_intent import read_intents
from telemetry.collect_map import DeviceIntent, route_present
from telemetry.ingest import ingest
from telemetry.model import Observation
from workers.collect import collect_round, judge_opened
from workers.drivers import open_driver
from workers.event_batch import SCOPE_GETTERS, Batch, Key, Pending, Scope, backoff_s

log = logging.getLogger("fabricgraph.listener")

# the event stream a driver offers (``open_event_stream()``: ``read(timeout_s)`` returns
# events with ``kind`` "link" or "bgp", ``subject`` and ``up``; ``close()``)
LINK = "link"
BGP = "bgp"
REFRESH_S = 5.0  # how often the set of streamed devices is re-read
READ_S = 0.5  # a watcher's longest wait for events (how fast it notices it must stop)
STABLE_S = 30.0  # a stream open this long before it failed was not failing
JOIN_S = 5.0  # at stop, how long the watchers have to close their streams
# while a device's stream is open its key says which pool's listener holds it (renewed
# every REFRESH_S, gone within STREAM_KEY_TTL_S of the listener dying)
STREAM_KEY_TTL_S = 15
INTENT_REFRESH_S = 60.0  # how often a watcher re-reads its switch's intent
FACTS_QUEUE = 1000  # batches of event facts waiting for the facts thread, at most
ROUTE_SETTLE_S = 0.5  # how long a session's route is read again until it follows it
ROUTE_RETRY_S = 0.02
# a session change this soon after a port change of the switch is that port's doing: its
# config is judged by the follow-up round, not at once
LINK_EXPLAINS_S = 2.0
JUDGE_SETTLE_S = 0.1  # a session change's judgement waits this long for a port change


def stream_key(serial: str) -> str:
    return f"fabricgraph:events:stream:{serial}"


STREAMED = Query(
    "listener.devices",
    """
    MATCH (d:Device)-[:ASSIGNED_TO]->(s:System)
    WHERE d.deploy_mode IN $modes
      AND EXISTS { (d)-[:PLACED_ON]->(:WorkerPool {queue: $queue}) }
    RETURN d.serial AS serial, s.blueprint AS blueprint, s.id AS system ORDER BY serial
    """,
)


@dataclass(frozen=True)
class Streamed:
    serial: str
    key: Key  # (blueprint, system)


def streamed_devices(graph: Graph, queue: str) -> list[Streamed]:
    """The deployed devices placed on ``queue``'s pool, with the system each serves."""
    rows = graph.read(STREAMED, modes=[str(m) for m in DEPLOYED_MODES], queue=queue)
    return [Streamed(r["serial"], (r["blueprint"], r["system"])) for r in rows]


class Listener:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.queue = settings.celery_queue
        self.graph = Graph(settings)
        self.client = redis.Redis.from_url(settings.redis_url)
        self.pending = Pending(settings.event_settle_s, settings.event_follow_up_s)
        self.cond = threading.Condition()
        self.stop = threading.Event()
        self.watchers: dict[Streamed, tuple[threading.Event, threading.Thread]] = {}
        self.facts: queue.Queue[list[Observation]] = queue.Queue(maxsize=FACTS_QUEUE)

    # -- events -> pending ------------------------------------------------------------
    def report(self, key: Key, why: str, scope: Scope = Scope.WHOLE) -> None:
        with self.cond:
            self.pending.add(key, time.monotonic(), scope)
            self.cond.notify()
        log.info("event on %s/%s: %s", key[0], key[1], why)

    def watch(self, device: Streamed, gone: threading.Event) -> None:
        """One device's stream, reopened with backoff until the device leaves the pool."""
        failures = 0
        devices = Devices(self.graph)
        while not (gone.is_set() or self.stop.is_set()):
            try:
                driver = open_driver(devices.get(device.serial), devices)
            except FabricError as exc:
                failures += 1
                log.warning("%s: no event stream (%s)", device.serial, exc.message)
                gone.wait(backoff_s(failures))
                continue
            try:
                stream = driver.open_event_stream()
            except (NotImplementedError, AttributeError):
                driver.close()
                # the thread ends; its entry stays, so the device is not tried again
                # until it leaves the pool and comes back
                log.info("%s: its driver has no event stream; polling only", device.serial)
                return
            except OSError as exc:
                driver.close()
                failures += 1
                log.warning("%s: event stream not started (%s)", device.serial, exc)
                gone.wait(backoff_s(failures))
                continue
            opened = time.monotonic()
            try:
                self.report(device.key, "stream opened")  # what it missed while away
                self._read(Watched(device, driver, stream), gone)
            except Exception as exc:  # the watcher outlives any one stream (StreamClosed...)
                # a stream that lived a while starts the backoff over
                failures = 1 if time.monotonic() - opened > STABLE_S else failures + 1
                log.warning("%s: event stream lost (%s)", device.serial, exc)
            finally:
                stream.close()
                driver.close()
            gone.wait(backoff_s(failures))

    def _intent(self, device: Streamed) -> DeviceIntent | None:
        bp, system = device.key
        try:
            found = read_intents(self.graph, bp, [system], golden=False)
        except FabricError as exc:
            log.warning("intent of %s/%s not read: %s", bp, system, exc.message)
            return None
        return found[0] if found else None

    def _read(self, watched: Watched, gone: threading.Event) -> None:
        device = watched.device
        key, renewed, read_at = stream_key(device.serial), 0.0, 0.0
        try:
            while not (gone.is_set() or self.stop.is_set()):
                now = time.monotonic()
                if now - renewed > REFRESH_S:
                    self.client.set(key, self.queue, ex=STREAM_KEY_TTL_S)
                    renewed = now
                if watched.intent is None or now - read_at > INTENT_REFRESH_S:
                    watched.intent, read_at = self._intent(device), now
                self._events(watched)
                self._judge_due(watched)
        finally:
            self.client.delete(key)

    def _events(self, watched: Watched) -> None:
        wait = READ_S
        if watched.judge_at is not None:
            wait = max(0.0, min(wait, watched.judge_at - time.monotonic()))
        events = watched.stream.read(wait)
        if not events:
            return
        device = watched.device
        why = ", ".join(f"{e.kind} {e.subject} {'up' if e.up else 'down'}" for e in events)
        now = time.monotonic()
        if any(str(e.kind) == LINK for e in events):
            watched.link_at = now
        if watched.intent is not None:
            self._facts(watched, watched.intent, events)
        sessions = [e for e in events if str(e.kind) == BGP]
        if sessions and now - watched.link_at > LINK_EXPLAINS_S:
            # no port changed: the session may have been reconfigured; judged once the
            # burst is over (a port change just behind it explains the session instead)
            watched.judge_at = now + JUDGE_SETTLE_S
        self.report(device.key, why, Scope.BGP if sessions else Scope.LINK)

    def _judge_due(self, watched: Watched) -> None:
        if watched.judge_at is None or time.monotonic() < watched.judge_at:
            return
        watched.judge_at = None
        if time.monotonic() - watched.link_at > LINK_EXPLAINS_S:
            self._judge(watched)

    def _judge(self, watched: Watched) -> None:
        """The switch's running config judged against golden now, on its open driver (an
        out-of-band change takes a session down): the deviation gate and
        ``config_deviation`` as a round's first pass records them."""
        bp, system = watched.device.key
        started = time.perf_counter()
        try:
            found = read_intents(self.graph, bp, [system])
            if not found:
                return
            out = judge_opened(Devices(self.graph), self.client, found[0], watched.driver)
        except FabricError as exc:
            log.warning("config of %s/%s not judged: %s", bp, system, exc.message)
            return
        except Exception:  # the watcher outlives any one judgement; the round follows
            log.exception("config of %s/%s not judged", bp, system)
            return
        log.info(
            "config of %s/%s judged after a session change: %.3f s, %d changed, %d raised",
            bp,
            system,
            time.perf_counter() - started,
            out.changed,
            len(out.anomalies_raised),
        )

    # -- events -> facts --------------------------------------------------------------
    def _facts(self, watched: Watched, intent: DeviceIntent, events: Sequence[Any]) -> None:
        """The observations ``events`` imply, queued for the facts thread: the state they
        carry first, then what is read from the device for them (optics, routes)."""
        at = time.time()
        links = [e for e in events if str(e.kind) == LINK]
        sessions = [e for e in events if str(e.kind) == BGP]
        found: list[Observation] = []
        for e in links:
            found += event_facts.link_facts(intent, e.subject, e.up, e.admin_up, at)
        for e in sessions:
            found += event_facts.bgp_facts(intent, e.subject, e.up, e.admin_up is not False, at)
        ports = [e.subject for e in links]
        if any(i.name in ports and i.transceiver for i in intent.interfaces):
            optics = self._device_read(watched, "get_optics")
            if optics is not None:
                found += event_facts.optics_facts(intent, ports, optics, time.time())
        self._queue(found)
        for e in sessions:
            for session in event_facts.sessions_of(intent, e.subject):
                self._queue(self._route(watched, intent, session, e.up))

    def _route(
        self, watched: Watched, intent: DeviceIntent, session: Any, up: bool
    ) -> list[Observation]:
        """The route to the session's peer loopback, read until it follows the session
        (present when it came up, gone when it went down) or ``ROUTE_SETTLE_S`` passed:
        bgpd withdraws it just after it logs the change. Whatever was read last is the
        fact (another path may keep it); the follow-up round reads it again."""
        loopback = session.peer_loopback
        if not loopback:
            return []
        deadline = time.monotonic() + ROUTE_SETTLE_S
        while True:
            at = time.time()
            rib = self._device_read(watched, "get_route_to", destination=loopback)
            if rib is None:
                return []
            if route_present(rib.get(loopback)) is up or time.monotonic() >= deadline:
                return event_facts.route_facts(intent, session, rib, at)
            time.sleep(ROUTE_RETRY_S)

    def _device_read(self, watched: Watched, getter: str, **args: Any) -> Any:
        try:
            return getattr(watched.driver, getter)(**args)
        except Exception as exc:  # NAPALM drivers raise their own kinds; the round follows
            log.warning("%s: %s after an event failed (%s)", watched.device.serial, getter, exc)
            return None

    def _queue(self, found: list[Observation]) -> None:
        if not found:
            return
        try:
            self.facts.put_nowait(found)
        except queue.Full:  # the follow-up round collects the switch anyway
            log.warning(
                "event facts dropped (%d queued): the follow-up round reads them", FACTS_QUEUE
            )

    def ingester(self) -> None:
        """The facts thread: every queued batch of event facts, ingested together (the
        latest reading of a fact when one came twice) in the order they came."""
        while not self.stop.is_set():
            try:
                first = self.facts.get(timeout=READ_S)
            except queue.Empty:
                continue
            batches = [first]
            while True:
                try:
                    batches.append(self.facts.get_nowait())
                except queue.Empty:
                    break
            self.ingest_facts(latest_facts(batches))

    def ingest_facts(self, facts: list[Observation]) -> None:
        started = time.perf_counter()
        try:
            out = ingest(self.graph, self.client, facts)
        except FabricError as exc:  # e.g. the blueprint was deleted meanwhile
            log.warning("event facts not ingested: %s", exc.message)
            return
        except Exception:  # the listener outlives any one ingest; the follow-up round follows
            log.exception("event facts not ingested")
            return
        log.info(
            "event facts: %d in %.3f s, %d changed, %d raised, %d cleared, %d causes opened",
            len(facts),
            time.perf_counter() - started,
            out.changed,
            len(out.anomalies_raised),
            len(out.anomalies_cleared),
            len(out.root_causes_opened),
        )

    # -- pending -> rounds ------------------------------------------------------------
    def collector(self) -> None:
        """Whole rounds due (follow-ups, reopened streams); nothing an event shows waits
        for them (its facts and config are the watcher's and the facts thread's)."""
        while not self.stop.is_set():
            with self.cond:
                wait = self.pending.wait_s(time.monotonic())
                if wait is None or wait > 0:
                    self.cond.wait(timeout=wait if wait is not None else READ_S)
                    continue
                due = self.pending.take(time.monotonic())
            for batch in due:
                if SCOPE_GETTERS[batch.scope] != frozenset():  # empty: the event was all
                    self.collect(batch)

    def collect(self, batch: Batch) -> None:
        started = time.perf_counter()
        try:
            out = collect_round(
                self.graph,
                self.client,
                batch.blueprint,
                systems=list(batch.systems),
                deployed_only=True,
                queue=self.queue,
                only=SCOPE_GETTERS[batch.scope],
            )
        except FabricError as exc:  # e.g. the blueprint was deleted meanwhile
            log.warning("event round of %s %s: %s", batch.blueprint, batch.systems, exc.message)
            return
        except Exception:  # the listener outlives any one round; the beat's round follows
            log.exception("event round of %s %s failed", batch.blueprint, batch.systems)
            return
        details = out.get("details") or out
        log.info(
            "event round (%s) of %s %s: %.3f s, %s changed, %s raised, %s cleared",
            batch.scope.name.lower(),
            batch.blueprint,
            list(batch.systems),
            time.perf_counter() - started,
            details.get("changed"),
            details.get("anomalies_raised"),
            details.get("anomalies_cleared"),
        )

    # -- the device set ---------------------------------------------------------------
    def refresh(self) -> None:
        try:
            wanted = set(streamed_devices(self.graph, self.queue))
        except FabricError as exc:
            log.warning("devices of pool %s not read: %s", self.queue, exc.message)
            return
        for device in [d for d in self.watchers if d not in wanted]:
            self.watchers.pop(device)[0].set()
        for device in wanted - set(self.watchers):
            gone = threading.Event()
            thread = threading.Thread(
                target=self.watch, args=(device, gone), name=f"watch-{device.serial}", daemon=True
            )
            self.watchers[device] = (gone, thread)
            thread.start()

    def run(self) -> None:
        for name, target in (("collector", self.collector), ("facts", self.ingester)):
            threading.Thread(target=target, name=name, daemon=True).start()
        log.info("listener of pool %s up", self.queue)
        while not self.stop.is_set():
            self.refresh()
            self.stop.wait(REFRESH_S)
        for gone, _ in self.watchers.values():
            gone.set()
        with self.cond:
            self.cond.notify_all()
        deadline = time.monotonic() + JOIN_S
        for _, thread in self.watchers.values():
            thread.join(max(0.0, deadline - time.monotonic()))
        log.info("listener of pool %s stopped", self.queue)


@dataclass
class Watched:
    """A device's open stream, its driver (for the reads an event calls for) and the
    switch's intent (None until read)."""

    device: Streamed
    driver: Any
    stream: Any
    intent: DeviceIntent | None = None
    link_at: float = float("-inf")  # when a port of it last changed (monotonic)
    judge_at: float | None = None  # when its running config is to be judged (monotonic)


def latest_facts(batches: Sequence[Sequence[Observation]]) -> list[Observation]:
    """The observations of ``batches`` in order, one per fact: its latest reading. Pure."""
    latest: dict[str, Observation] = {}
    for batch in batches:
        for o in batch:
            was = latest.get(o.uid)
            if was is None or o.observed_at >= was.observed_at:
                latest.pop(o.uid, None)
                latest[o.uid] = o
    return list(latest.values())


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    listener = Listener(load_settings())

    def stop(signum: int, frame: FrameType | None) -> None:
        listener.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    listener.run()


if __name__ == "__main__":
    main()
