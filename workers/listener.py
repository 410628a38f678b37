"""Event-driven collection: one listener per worker pool keeps an event stream open to
each deployed device of its pool and collects a device as soon as it reports a change.

``python -m workers.listener`` (``deploy/services.sh start listener``, started by
``make worker`` beside the pool's worker and beat) serves ``FG_CELERY_QUEUE``'s pool.
Every ``REFRESH_S`` it reads which deployed devices are placed on the pool and keeps
one watcher thread per device. A watcher opens the device's driver and its event
stream (``open_event_stream``: on a lab switch the kernel's link notifications and
bgpd's neighbour state changes, ``napalm_linuxfrr.events``; a driver without one
leaves the device to polling). An event marks the device's system pending
(``workers.event_batch.Pending``); the collector thread runs one collection round
(``workers.collect.collect_round``: getters, ingest, evaluation, root causes) of the
systems pending once the settle window ``FG_EVENT_SETTLE_S`` of the first has passed,
so a fault reaches the graph without waiting for the next periodic round. Both ends
of a cut cable report their own port; the session over it reports on both ends too.

Bounded everywhere: a stream that fails or ends is reopened with exponential backoff
(``backoff_s``, at most 30 s) and, once reopened, its device is collected (what it
missed while disconnected); pending work is one entry per system; a round is bounded
by the drivers' own timeouts. The periodic round (``collect_all``) stays the
level-triggered safety net: a lost event costs latency, never correctness. Rounds of
the listener and of the beat may overlap: an observation older than the one stored
is ignored (``telemetry.ingest``), so the later reading wins.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass
from types import FrameType
from typing import Any

import redis

from blueprint_engine.devices.lifecycle import DEPLOYED_MODES
from blueprint_engine.devices.registry import Devices
from blueprint_engine.errors import FabricError
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings, load_settings
from workers.collect import collect_round
from workers.drivers import open_driver
from workers.event_batch import SCOPE_GETTERS, Batch, Key, Pending, Scope, backoff_s

log = logging.getLogger("fabricgraph.listener")

# the event stream a driver offers (``open_event_stream()``: ``read(timeout_s)`` returns
# events with ``kind`` "link" or "bgp", ``subject`` and ``up``; ``close()``)
LINK = "link"
REFRESH_S = 5.0  # how often the set of streamed devices is re-read
READ_S = 0.5  # a watcher's longest wait for events (how fast it notices it must stop)
STABLE_S = 30.0  # a stream open this long before it failed was not failing
JOIN_S = 5.0  # at stop, how long the watchers have to close their streams
# while a device's stream is open its key says which pool's listener holds it (renewed
# every REFRESH_S, gone within STREAM_KEY_TTL_S of the listener dying)
STREAM_KEY_TTL_S = 15


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
                driver = open_driver(devices.get(device.serial))
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
                self._read(device, stream, gone)
            except Exception as exc:  # the watcher outlives any one stream (StreamClosed...)
                # a stream that lived a while starts the backoff over
                failures = 1 if time.monotonic() - opened > STABLE_S else failures + 1
                log.warning("%s: event stream lost (%s)", device.serial, exc)
            finally:
                stream.close()
                driver.close()
            gone.wait(backoff_s(failures))

    def _read(self, device: Streamed, stream: Any, gone: threading.Event) -> None:
        key, renewed = stream_key(device.serial), 0.0
        try:
            while not (gone.is_set() or self.stop.is_set()):
                if time.monotonic() - renewed > REFRESH_S:
                    self.client.set(key, self.queue, ex=STREAM_KEY_TTL_S)
                    renewed = time.monotonic()
                self._events(device, stream)
        finally:
            self.client.delete(key)

    def _events(self, device: Streamed, stream: Any) -> None:
        events = stream.read(READ_S)
        if events:
            why = ", ".join(f"{e.kind} {e.subject} {'up' if e.up else 'down'}" for e in events)
            links = all(str(e.kind) == LINK for e in events)
            self.report(device.key, why, Scope.LINK if links else Scope.BGP)

    # -- pending -> rounds ------------------------------------------------------------
    def collector(self) -> None:
        while not self.stop.is_set():
            with self.cond:
                wait = self.pending.wait_s(time.monotonic())
                if wait is None or wait > 0:
                    self.cond.wait(timeout=wait if wait is not None else READ_S)
                    continue
                due = self.pending.take(time.monotonic())
            for batch in due:
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
        threading.Thread(target=self.collector, name="collector", daemon=True).start()
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
